"""An aiosmtpd handler for the SMTP tests in email.rs.

Run as
    SMTP_SINK_DIR=/some/folder PYTHONPATH=<this folder> \
        python3 -m aiosmtpd -n -l 127.0.0.1:PORT -c smtp_sink.Sink

Each accepted message is saved as NNNN.json (the envelope: mail_from,
rcpt_tos) and NNNN.eml (the raw DATA), the .json written last, so a reader
that sees NNNN.json finds the whole message. Recipients whose local part
starts with "reject" are refused with 550, with "tempfail" with 451.
Recipients starting with "stall" hold the conversation at RCPT (after
writing the file "stalled") until a file "release" appears, so a test can
kill the sending process mid-send.
"""

import asyncio

import json
import os
import pathlib


class Sink:
    def __init__(self):
        self.dir = pathlib.Path(os.environ["SMTP_SINK_DIR"])
        self.dir.mkdir(parents=True, exist_ok=True)
        self.count = 0

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        local = address.split("@", 1)[0].lower()
        if local.startswith("reject"):
            return "550 5.1.1 No such mailbox here"
        if local.startswith("tempfail"):
            return "451 4.3.0 Try again later"
        if local.startswith("stall"):
            (self.dir / "stalled").write_text(address)
            for _ in range(600):
                if (self.dir / "release").exists():
                    break
                await asyncio.sleep(0.1)
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.count += 1
        base = self.dir / f"{self.count:04d}"
        raw = envelope.original_content or envelope.content
        if isinstance(raw, str):
            raw = raw.encode("utf-8")
        _write(base.with_suffix(".eml"), raw)
        envelope_json = {"mail_from": envelope.mail_from, "rcpt_tos": envelope.rcpt_tos}
        _write(base.with_suffix(".json"), json.dumps(envelope_json).encode("utf-8"))
        return "250 Message accepted for delivery"


def _write(path, data):
    temp = path.with_name("." + path.name + ".tmp")
    temp.write_bytes(data)
    os.replace(temp, path)
