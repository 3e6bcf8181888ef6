"""The livelihood-project cycle (民生实事项目): proposals, candidates, the vote,
progress tracking and the year-end assessment."""
