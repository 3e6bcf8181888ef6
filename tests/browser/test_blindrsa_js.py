"""Browser tests of static/js/blindrsa.js (RFC 9474 RSABSSA-SHA384-PSS-Randomized).

Runs the real file in Debian's Chromium through Playwright, served from a
throwaway http.server on 127.0.0.1 (a secure context for WebCrypto).

Skipped only when Chromium (or Playwright) is missing on a developer machine;
with CI set, a missing browser is a failure.
"""

from __future__ import annotations

import base64
import http.server
import json
import os
import threading
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
JS_FILE = ROOT / "static" / "js" / "blindrsa.js"
CHROMIUM = os.environ.get("YISHI_CHROMIUM", "/usr/bin/chromium")
LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def _shared_vectors() -> Path:
    return ROOT.parent / "shared" / "test-vectors" / "known-answers.json"


if not os.environ.get("CI"):
    if not Path(CHROMIUM).exists():
        pytest.skip(
            f"Chromium not installed at {CHROMIUM} (browser tests run in CI)",
            allow_module_level=True,
        )
    pytest.importorskip(
        "playwright.sync_api",
        reason="playwright not installed (browser tests run in CI)",
    )

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

# RFC 9474 Appendix A, RSABSSA-SHA384-PSS-Randomized (the same values as
# shared/test-vectors/known-answers.json; all hex). Kept here so the module is self-contained.
RFC9474_VECTOR = {
    "n": (
        "aec4d69addc70b990ea66a5e70603b6fee27aafebd08f2d94cbe1250c556e047a928d635c3f45ee9"
        "b66d1bc628a03bac9b7c3f416fe20dabea8f3d7b4bbf7f963be335d2328d67e6c13ee4a8f955e05a"
        "3283720d3e1f139c38e43e0338ad058a9495c53377fc35be64d208f89b4aa721bf7f7d3fef837be2"
        "a80e0f8adf0bcd1eec5bb040443a2b2792fdca522a7472aed74f31a1ebe1eebc1f408660a0543dfe"
        "2a850f106a617ec6685573702eaaa21a5640a5dcaf9b74e397fa3af18a2f1b7c03ba91a6336158de"
        "420d63188ee143866ee415735d155b7c2d854d795b7bc236cffd71542df34234221a0413e142d8c6"
        "1355cc44d45bda94204974557ac2704cd8b593f035a5724b1adf442e78c542cd4414fce6f1298182"
        "fb6d8e53cef1adfd2e90e1e4deec52999bdc6c29144e8d52a125232c8c6d75c706ea3cc06841c7bd"
        "a33568c63a6c03817f722b50fcf898237d788a4400869e44d90a3020923dc646388abcc914315215"
        "fcd1bae11b1c751fd52443aac8f601087d8d42737c18a3fa11ecd4131ecae017ae0a14acfc4ef85b"
        "83c19fed33cfd1cd629da2c4c09e222b398e18d822f77bb378dea3cb360b605e5aa58b20edc29d00"
        "0a66bd177c682a17e7eb12a63ef7c2e4183e0d898f3d6bf567ba8ae84f84f1d23bf8b8e261c3729e"
        "2fa6d07b832e07cddd1d14f55325c6f924267957121902dc19b3b32948bdead5"
    ),
    "e": "010001",
    "d": (
        "0d43242aefe1fb2c13fbc66e20b678c4336d20b1808c558b6e62ad16a287077180b177e1f01b12f9"
        "c6cd6c52630257ccef26a45135a990928773f3bd2fc01a313f1dac97a51cec71cb1fd7efc7adffde"
        "b05f1fb04812c924ed7f4a8269925dad88bd7dcfbc4ef01020ebfc60cb3e04c54f981fdbd273e69a"
        "8a58b8ceb7c2d83fbcbd6f784d052201b88a9848186f2a45c0d2826870733e6fd9aa46983e0a6e82"
        "e35ca20a439c5ee7b502a9062e1066493bdadf8b49eb30d9558ed85abc7afb29b3c9bc644199654a"
        "4676681af4babcea4e6f71fe4565c9c1b85d9985b84ec1abf1a820a9bbebee0df1398aae2c85ab58"
        "0a9f13e7743afd3108eb32100b870648fa6bc17e8abac4d3c99246b1f0ea9f7f93a5dd5458c56d9f"
        "3f81ff2216b3c3680a13591673c43194d8e6fc93fc1e37ce2986bd628ac48088bc723d8fbe293861"
        "ca7a9f4a73e9fa63b1b6d0074f5dea2a624c5249ff3ad811b6255b299d6bc5451ba7477f19c5a0db"
        "690c3e6476398b1483d10314afd38bbaf6e2fbdbcd62c3ca9797a420ca6034ec0a83360a3ee2adf4"
        "b9d4ba29731d131b099a38d6a23cc463db754603211260e99d19affc902c915d7854554aabf608e3"
        "ac52c19b8aa26ae042249b17b2d29669b5c859103ee53ef9bdc73ba3c6b537d5c34b6d8f034671d7"
        "f3a8a6966cc4543df223565343154140fd7391c7e7be03e241f4ecfeb877a051"
    ),
    "msg_prefix": "8417e699b219d583fb6216ae0c53ca0e9723442d02f1d1a34295527e7d929e8b",
    "msg": ("8f3dc6fb8c4a02f4d6352edf0907822c1210a9b32f9bdda4c45a698c80023aa6b59f8cfec5fdbb36331372ebefedae7d"),
    "prepared_msg": (
        "8417e699b219d583fb6216ae0c53ca0e9723442d02f1d1a34295527e7d929e8b8f3dc6fb8c4a02f4"
        "d6352edf0907822c1210a9b32f9bdda4c45a698c80023aa6b59f8cfec5fdbb36331372ebefedae7d"
    ),
    "salt": ("051722b35f458781397c3a671a7d3bd3096503940e4c4f1aaa269d60300ce449555cd7340100df9d46944c5356825abf"),
    "encoded_msg": (
        "2be01c5669eb676cb3f0002eb636427d61568f3f0579da5b998279a7eb3ab784e5617319376d0480"
        "9d83e72bef9f0738e7324af3fd1b4f0a35f4f58058ab329495406bdb5ff31a0274be2d137c735ab0"
        "d5a591b3129a6cc46fcecc4b41dbc684c965cb30e3eb4864ef18cc8d95b4d6a2002607c821d4d8a7"
        "e026ae7bb1f6b4c7c93d1b58e9cd87864d6094b0d8f7e2b5f966473703634fb58c774dd4a24376e0"
        "eb262a24b58e3a0b4da4f36ef75651627561ff2ecee9dcbfe1d728cc31a7b46030f7a2815ae9edf9"
        "a2a5c0c6d8dbab1b33b9c3bbda5c083670a3550f7d74c4263aad09f8ed1d435fc6295ca4d51fc02c"
        "7de9ae28ffd53372c3fa864521b27560daa11ab9daad8d0d747661718d2f79c59d0661b09c74863f"
        "a32bdcb1c408d3bd24569c57aecae6e06c0c9deb7303c5b7b1240960fd2413d61b2e3829af8c0987"
        "4fdba0fe84ca6aa7e7d533f9b0ddfe508f562b132ca2d325f1e73f91a8a6b831a2fd9bc0bd5bfa5e"
        "a3a1dee16bd9b264174b9553a4c0c0d62373353355c05b35824e4bae702f49e5a6bf83eaff65af49"
        "9045bcef1470a0e58ddb21856034af0db96f8636d4a6f1591f34c7224e0c0293e3d3be2139f2797c"
        "5ed8b65473ac2f83c52b87f8cf8754ac2f55f5e41e105df1d079a647fb1aa591526295667f37db11"
        "29752d024eb03bfe506a43665072118423351ef9b8663376f9fc073141e1e7bc"
    ),
    "inv": (
        "80682c48982407b489d53d1261b19ec8627d02b8cda5336750b8cee332ae260de57b02d72609c1e0"
        "e9f28e2040fc65b6f02d56dbd6aa9af8fde656f70495dfb723ba01173d4707a12fddac628ca29f3e"
        "32340bd8f7ddb557cf819f6b01e445ad96f874ba235584ee71f6581f62d4f43bf03f910f6510deb8"
        "5e8ef06c7f09d9794a008be7ff2529f0ebb69decef646387dc767b74939265fec0223aa6d84d2a8a"
        "1cc912d5ca25b4e144ab8f6ba054b54910176d5737a2cff011da431bd5f2a0d2d66b9e70b39f4b05"
        "0e45c0d9c16f02deda9ddf2d00f3e4b01037d7029cd49c2d46a8e1fc2c0c17520af1f4b5e25ba396"
        "afc4cd60c494a4c426448b35b49635b337cfb08e7c22a39b256dd032c00adddafb51a627f99a0e17"
        "04170ac1f1912e49d9db10ec04c19c58f420212973e0cb329524223a6aa56c7937c5dffdb5d966b6"
        "cd4cbc26f3201dd25c80960a1a111b32947bb78973d269fac7f5186530930ed19f68507540eed9e1"
        "bab8b00f00d8ca09b3f099aae46180e04e3584bd7ca054df18a1504b89d1d1675d0966c4ae1407be"
        "325cdf623cf13ff13e4a28b594d59e3eadbadf6136eee7a59d6a444c9eb4e2198e8a974f27a39eb6"
        "3af2c9af3870488b8adaad444674f512133ad80b9220e09158521614f1faadfe8505ef57b7df6813"
        "048603f0dd04f4280177a11380fbfc861dbcbd7418d62155248dad5fdec0991f"
    ),
    "blinded_msg": (
        "aa3ee045138d874669685ffaef962c7694a9450aa9b4fd6465db9b3b75a522bb921c4c0fdcdfae96"
        "67593255099cff51f5d3fd65e8ffb9d3b3036252a6b51b6edfb3f40382b2bbf34c0055e4cbcc4228"
        "50e586d84f190cd449af11dc65545f5fe26fd89796eb87da4bda0c545f397cddfeeb56f06e28135e"
        "c74fd477949e7677f6f36cfae8fd5c1c5898b03b9c244cf6d1a4fb7ad1cb43aff5e80cb462fac541"
        "e72f67f0a50f1843d1759edfaae92d1a916d3f0efaf4d650db416c3bf8abdb5414a78cebc97de676"
        "723cb119e77aea489f2bbf530c440ebc5a75dccd3ebf5a412a5f346badd61bee588e5917bdcce9dc"
        "33c882e39826951b0b8276c6203971947072b726e935816056ff5cb11a71ca2946478584126bb877"
        "acdf87255f26e6cca4e0878801307485d3b7bb89b289551a8b65a7a6b93db010423d1406e149c877"
        "31910306e5e410b41d4da3234624e74f92845183e323cf7eb244f212a695f8856c675fbc3a021ce6"
        "49e22c6f0d053a9d238841cf3afdc2739f99672a419ae13c17f1f8a3bc302ec2e7b98e8c353898b7"
        "150ad8877ec841ea6e4b288064c254fefd0d049c3ad196bf7ffa535e74585d0120ce728036ed5009"
        "42fbd5e6332c298f1ffebe9ff60c1e117b274cf0cb9d70c36ee4891528996ec1ed0b178e9f3c0c0e"
        "6120885f39e8ccaadbb20f3196378c07b1ff22d10049d3039a7a92fe7efdd95d"
    ),
    "blind_sig": (
        "3f4a79eacd4445fca628a310d41e12fcd813c4d43aa4ef2b81226953248d6d00adfee6b79cb88bfa"
        "1f99270369fd063c023e5ed546719b0b2d143dd1bca46b0e0e615fe5c63d95c5a6b873b8b50bc524"
        "87354e69c3dfbf416e7aca18d5842c89b676efdd38087008fa5a810161fcdec26f20ccf2f1e6ab0f"
        "9d2bb93e051cb9e86a9b28c5bb62fd5f5391379f887c0f706a08bcc3b9e7506aaf02485d688198f5"
        "e22eefdf837b2dd919320b17482c5cc54271b4ccb41d267629b3f844fd63750b01f5276c79e33718"
        "bb561a152acb2eb36d8be75bce05c9d1b94eb609106f38226fb2e0f5cd5c5c39c59dda166862de49"
        "8b8d92f6bcb41af433d65a2ac23da87f39764cb64e79e74a8f4ce4dd567480d967cefac46b6e9c06"
        "434c3715635834357edd2ce6f105eea854ac126ccfa3de2aac5607565a4e5efaac5eed491c335f6f"
        "c97e6eb7e9cea3e12de38dfb315220c0a3f84536abb2fdd722813e083feda010391ac3d8fd1cd921"
        "2b5d94e634e69ebcc800c4d5c4c1091c64afc37acf563c7fc0a6e4c082bc55544f50a7971f3fb97d"
        "5853d72c3af34ffd5ce123998be5360d1059820c66a81e1ee6d9c1803b5b62af6bc877526df255b6"
        "d1d835d8c840bebbcd6cc0ee910f17da37caf8488afbc08397a1941fcc79e76a5888a95b3d5405e1"
        "3f737bea5c78d716a48eb9dc0aec8de39c4b45c6914ad4a8185969f70b1adf46"
    ),
    "sig": (
        "191e941c57510e22d29afad257de5ca436d2316221fe870c7cb75205a6c071c2735aed0bc24c37f3"
        "d5bd960ab97a829a508f966bbaed7a82645e65eadaf24ab5e6d9421392c5b15b7f9b640d34fec512"
        "846a3100b80f75ef51064602118c1a77d28d938f6efc22041d60159a518d3de7c4d840c9c6810967"
        "2d743d299d8d2577ef60c19ab463c716b3fa75fa56f5735349d414a44df12bf0dd44aa3e10822a65"
        "1ed4cb0eb6f47c9bd0ef14a034a7ac2451e30434d513eb22e68b7587a8de9b4e63a059d05c8b22c7"
        "c51e2cfee2d8bef511412e93c859a13726d87c57d1bc4c2e68ab121562f839c3a3d233e87ed63c69"
        "b7e57525367753fbebcc2a9805a2802659f5888b2c69115bf865559f10d906c09d048a0d71bfee4b"
        "33857393ec2b69e451433496d02c9a7910abb954317720bbde9e69108eafc3e90bad3d5ca4066d7b"
        "1e49013fa04e948104a1dd82b12509ecb146e948c54bd8bfb5e6d18127cd1f7a93c3cf9f2d869d5a"
        "78878c03fe808a0d799e910be6f26d18db61c485b303631d3568368fc41986d08a95ea6ac0592240"
        "c19d7b22416b9c82ae6241e211dd5610d0baaa9823158f9c32b66318f5529491b7eeadcaa71898a6"
        "3bac9d95f4aa548d5e97568d744fc429104e32edd9c87519892a198a30d333d427739ffb9607b092"
        "e910ae37771abf2adb9f63bc058bf58062ad456cb934679795bbdfcdfad5e0f2"
    ),
}


PAGE = b"""<!doctype html>
<html><head><meta charset="utf-8"><title>blindrsa test</title></head>
<body><script src="/blindrsa.js"></script></body></html>
"""

# Small JS helpers injected into each evaluate call.
JS_HELPERS = """
const B = window.YishiBlindRSA;
const hx = B.hex;
const u = B.b64u;
"""


def b64u(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def int_b64u(x: int) -> str:
    return b64u(x.to_bytes((x.bit_length() + 7) // 8, "big"))


@pytest.fixture(scope="module")
def vector() -> dict:
    path = _shared_vectors()
    if path.is_file():
        # the contract's copy must agree with the one kept here
        shared = json.loads(path.read_text(encoding="utf-8"))["rfc9474_rsabssa_sha384_pss_randomized"]
        for k, val in RFC9474_VECTOR.items():
            assert shared[k] == val, k
    return dict(RFC9474_VECTOR)


@pytest.fixture(scope="module")
def server_url():
    js = JS_FILE.read_bytes()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            if self.path == "/blindrsa.js":
                body, ctype = js, "text/javascript; charset=utf-8"
            elif self.path in ("/", "/index.html"):
                body, ctype = PAGE, "text/html; charset=utf-8"
            else:
                self.send_error(404)
                return
            self.send_response(200)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.send_header(
                "Content-Security-Policy",
                "default-src 'none'; script-src 'self'; connect-src 'self'",
            )
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}/"
    finally:
        httpd.shutdown()
        httpd.server_close()


@pytest.fixture(scope="module")
def page(server_url, browser):
    # The shared session browser (tests/browser/conftest.py): two Playwright
    # instances in one process clash over the event loop.
    context = browser.new_context()
    try:
        pg = context.new_page()
        errors: list[str] = []
        pg.on("pageerror", lambda e: errors.append(str(e)))
        pg.goto(server_url)
        pg.wait_for_function("() => !!window.YishiBlindRSA")
        assert pg.evaluate("() => window.isSecureContext") is True
        yield pg
        assert not errors, errors
    finally:
        context.close()


def js(page, body: str, arg=None):
    """Run an async JS function body with `arg` bound, helpers in scope."""
    return page.evaluate(f"async (arg) => {{ {JS_HELPERS}\n{body} }}", arg)


def test_rfc9474_vector_blind_and_finalize(page, vector):
    n = int(vector["n"], 16)
    inv = int(vector["inv"], 16)
    r = pow(inv, -1, n)
    arg = {
        "n": b64u(bytes.fromhex(vector["n"])),
        "e": b64u(bytes.fromhex(vector["e"])),
        "prepared": vector["prepared_msg"],
        "salt": vector["salt"],
        "r": r.to_bytes(len(vector["n"]) // 2, "big").hex(),
        "blind_sig": vector["blind_sig"],
    }
    out = js(
        page,
        """
        const prepared = hx.decode(arg.prepared);
        const encoded = await B.emsaPssEncode(prepared, 4095, hx.decode(arg.salt));
        const res = await B.blind(arg.n, arg.e, prepared, {salt: hx.decode(arg.salt), r: hx.decode(arg.r)});
        // the blinding state goes through JSON, as it does through localStorage
        const state = JSON.parse(JSON.stringify({inv: u.encode(res.inv)}));
        const sig = await B.finalize(arg.n, arg.e, prepared, hx.decode(arg.blind_sig), state.inv);
        const sig2 = await B.finalize(arg.n, arg.e, prepared, u.encode(hx.decode(arg.blind_sig)), res.inv);
        return {encoded: hx.encode(encoded), blinded: hx.encode(res.blindedMsg), inv: hx.encode(res.inv),
                sig: hx.encode(sig), sig2: hx.encode(sig2),
                ok: await B.verify(arg.n, arg.e, prepared, sig)};
        """,
        arg,
    )
    assert vector["prepared_msg"] == vector["msg_prefix"] + vector["msg"]
    assert out["encoded"] == vector["encoded_msg"]
    assert out["blinded"] == vector["blinded_msg"]
    assert out["inv"] == vector["inv"]
    assert out["sig"] == vector["sig"]
    assert out["sig2"] == vector["sig"]
    assert out["ok"] is True


def test_round_trip_with_python_signer(page):
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pub = key.public_key().public_numbers()
    n, d = pub.n, key.private_numbers().d
    n_b64, e_b64 = int_b64u(n), int_b64u(pub.e)

    first = js(
        page,
        """
        const token = B.prepare(B.randomBytes(32));
        const other = B.prepare(B.randomBytes(32));
        const res = await B.blind(arg.n, arg.e, token);
        return JSON.stringify({token: u.encode(token), other: u.encode(other),
                               blinded_msg: u.encode(res.blindedMsg), inv: u.encode(res.inv)});
        """,
        {"n": n_b64, "e": e_b64},
    )
    state = json.loads(first)
    token = base64.urlsafe_b64decode(state["token"] + "==")
    assert len(token) == 64
    assert state["token"] != state["other"]
    blinded = base64.urlsafe_b64decode(state["blinded_msg"] + "==")
    assert len(blinded) == 256
    m = int.from_bytes(blinded, "big")
    assert 0 < m < n
    blind_sig = pow(m, d, n).to_bytes(256, "big")

    sig_b64 = js(
        page,
        """
        const sig = await B.finalize(arg.n, arg.e, u.decode(arg.state.token), u.decode(arg.blind_sig), arg.state.inv);
        return u.encode(sig);
        """,
        {"n": n_b64, "e": e_b64, "state": state, "blind_sig": b64u(blind_sig)},
    )
    sig = base64.urlsafe_b64decode(sig_b64 + "==")
    assert len(sig) == 256
    pss = padding.PSS(mgf=padding.MGF1(hashes.SHA384()), salt_length=48)
    key.public_key().verify(sig, token, pss, hashes.SHA384())
    # the signature is bound to this token
    with pytest.raises(InvalidSignature):
        key.public_key().verify(sig, token[:-1] + bytes([token[-1] ^ 1]), pss, hashes.SHA384())


def test_finalize_rejects_corrupted_blind_signature(page, vector):
    arg = {
        "n": b64u(bytes.fromhex(vector["n"])),
        "e": b64u(bytes.fromhex(vector["e"])),
        "prepared": vector["prepared_msg"],
        "inv": vector["inv"],
        "blind_sig": vector["blind_sig"],
    }
    out = js(
        page,
        """
        const prepared = hx.decode(arg.prepared);
        const inv = hx.decode(arg.inv);
        const attempt = async (bs, p = prepared) => {
          try { await B.finalize(arg.n, arg.e, p, bs, inv); return 'accepted'; }
          catch (e) { return 'rejected: ' + e.message; }
        };
        const good = hx.decode(arg.blind_sig);
        const flipped = good.slice(); flipped[100] ^= 0x01;
        const last = good.slice(); last[last.length - 1] ^= 0x80;
        const short = good.slice(1);
        const tooBig = new Uint8Array(good.length).fill(0xff);
        const otherMsg = prepared.slice(); otherMsg[0] ^= 1;
        return {
          good: await attempt(good),
          flipped: await attempt(flipped),
          last: await attempt(last),
          short: await attempt(short),
          tooBig: await attempt(tooBig),
          otherMsg: await attempt(good, otherMsg),
        };
        """,
        arg,
    )
    assert out["good"] == "accepted"
    for name in ("flipped", "last", "short", "tooBig", "otherMsg"):
        assert out[name].startswith("rejected"), (name, out[name])
    assert "invalid signature" in out["flipped"]


def test_b64u_helpers_and_prepare(page):
    out = js(
        page,
        """
        const res = {};
        const lens = [0, 1, 2, 3, 4, 5, 31, 32, 33, 64];
        res.roundtrip = lens.every(l => {
          const b = B.randomBytes(l);
          const s = u.encode(b);
          return !/[=+\\/]/.test(s) && hx.encode(u.decode(s)) === hx.encode(b);
        });
        res.ff = u.encode(new Uint8Array([0xff, 0xfe]));
        const bad = s => { try { u.decode(s); return false; } catch (e) { return true; } };
        res.rejects = ['_x', 'AAA=', 'A', 'a+b/', 'ab c'].map(bad);
        const msg = new Uint8Array([1, 2, 3]);
        const p1 = B.prepare(msg), p2 = B.prepare(msg);
        res.prepLen = p1.length;
        res.prepTail = Array.from(p1.slice(32));
        res.prefixesDiffer = hx.encode(p1.slice(0, 32)) !== hx.encode(p2.slice(0, 32));
        return res;
        """,
    )
    assert out["roundtrip"] is True
    assert out["ff"] == b64u(b"\xff\xfe")
    assert out["rejects"] == [True] * 5
    assert out["prepLen"] == 35
    assert out["prepTail"] == [1, 2, 3]
    assert out["prefixesDiffer"] is True


def test_blind_rejects_bad_keys(page, vector):
    small = rsa.generate_private_key(public_exponent=65537, key_size=1024).public_key().public_numbers()
    out = js(
        page,
        """
        const token = B.prepare(B.randomBytes(32));
        const attempt = async (n, e) => {
          try { await B.blind(n, e, token); return 'accepted'; } catch (e2) { return 'rejected'; }
        };
        return [await attempt(arg.small, 'AQAB'), await attempt(arg.n, 'Aw'), await attempt(arg.n, 'AQAB')];
        """,
        {"small": int_b64u(small.n), "n": b64u(bytes.fromhex(vector["n"]))},
    )
    assert out == ["rejected", "rejected", "accepted"]


def test_random_blinding_with_vector_key(page, vector):
    """Random salt and r (no overrides), signed with the vector's private key in Python."""
    n, d = int(vector["n"], 16), int(vector["d"], 16)
    n_b64, e_b64 = b64u(bytes.fromhex(vector["n"])), b64u(bytes.fromhex(vector["e"]))
    state = js(
        page,
        """
        const token = B.prepare(B.randomBytes(32));
        const a = await B.blind(arg.n, arg.e, token);
        const b = await B.blind(arg.n, arg.e, token);
        return {token: u.encode(token), blinded: u.encode(a.blindedMsg), inv: u.encode(a.inv),
                differ: u.encode(a.blindedMsg) !== u.encode(b.blindedMsg)};
        """,
        {"n": n_b64, "e": e_b64},
    )
    assert state["differ"] is True
    m = int.from_bytes(base64.urlsafe_b64decode(state["blinded"] + "=="), "big")
    blind_sig = b64u(pow(m, d, n).to_bytes(512, "big"))
    sig = js(
        page,
        "return u.encode(await B.finalize(arg.n, arg.e, u.decode(arg.token), arg.bs, arg.inv));",
        {
            "n": n_b64,
            "e": e_b64,
            "token": state["token"],
            "bs": blind_sig,
            "inv": state["inv"],
        },
    )
    pub = rsa.RSAPublicNumbers(int(vector["e"], 16), n).public_key()
    pss = padding.PSS(mgf=padding.MGF1(hashes.SHA384()), salt_length=48)
    pub.verify(
        base64.urlsafe_b64decode(sig + "=="),
        base64.urlsafe_b64decode(state["token"] + "=="),
        pss,
        hashes.SHA384(),
    )
