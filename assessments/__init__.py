"""Satisfaction assessments (满意度测评) of work reports, deputies' suggestions and
projects, by deputies, committee members or the public with one-time codes."""
