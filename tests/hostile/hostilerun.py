# One pipeline of the hostile tests, in a process of its own (so a case may
# log at GST_DEBUG=*:9 into a file of its own, and a hang is killed, not
# inherited): plays argv[1] (gst_parse_launch syntax) until EOS or an
# error and prints, as one JSON line, everything the bus carried: errors
# and warnings with their apixo-error details, element messages, progress
# texts and tags.  Debian's /usr/bin/python3 (python3-gi).
# SPDX-License-Identifier: LGPL-2.1-or-later

import json
import sys

import gi

gi.require_version("Gst", "1.0")
from gi.repository import Gst  # noqa: E402


def details_dict(details):
    if details is None:
        return None
    out = {"_text": details.to_string()}
    for i in range(details.n_fields()):
        name = details.nth_field_name(i)
        value = details.get_value(name)
        out[name] = value if isinstance(value, (str, int, float, bool)) \
            else str(value)
    return out


def problem(msg, parse, parse_details):
    err, debug = parse()
    return {"src": msg.src.get_name() if msg.src else None,
            "domain": GLib_quark(err.domain), "code": err.code,
            "message": err.message, "debug": debug or "",
            "details": details_dict(parse_details())}


def GLib_quark(domain):
    # PyGObject gives GError domains as strings already
    return domain if isinstance(domain, str) else str(domain)


def main():
    Gst.init(None)
    launch, timeout = sys.argv[1], float(sys.argv[2])
    pipeline = Gst.parse_launch(launch)
    out = {"eos": False, "errors": [], "warnings": [], "elements": [],
           "progress": [], "tags": [], "timed_out": False}
    bus = pipeline.get_bus()
    pipeline.set_state(Gst.State.PLAYING)
    end = Gst.util_get_timestamp() + int(timeout * Gst.SECOND)
    while True:
        left = end - Gst.util_get_timestamp()
        if left <= 0:
            out["timed_out"] = True
            break
        msg = bus.timed_pop(left)
        if msg is None:
            continue
        t = msg.type
        if t == Gst.MessageType.EOS:
            out["eos"] = True
            break
        if t == Gst.MessageType.ERROR:
            out["errors"].append(problem(msg, msg.parse_error,
                                         msg.parse_error_details))
            break
        if t == Gst.MessageType.WARNING:
            out["warnings"].append(problem(msg, msg.parse_warning,
                                           msg.parse_warning_details))
        elif t == Gst.MessageType.ELEMENT and msg.get_structure():
            out["elements"].append(msg.get_structure().to_string())
        elif t == Gst.MessageType.PROGRESS:
            _, code, text = msg.parse_progress()
            out["progress"].append(text)
        elif t == Gst.MessageType.TAG:
            out["tags"].append(msg.parse_tag().to_string())
    pipeline.set_state(Gst.State.NULL)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
