#!/usr/bin/python3
# gst-apixo example: generate a clip from Python (PyGObject).
# SPDX-License-Identifier: LGPL-2.1-or-later
#
#   apixo-generate.py MODEL PROMPT OUTPUT.mp4 [NAME=VALUE...]
#
# Runs `apixosrc model=MODEL prompt=PROMPT save-location=OUTPUT ! fakesink`
# (NAME=VALUE: any other apixosrc property, e.g. resolution=720p seed=3)
# and shows what an application reads from the bus:
#   - GST_MESSAGE_PROGRESS: the generation's START / CONTINUE / COMPLETE
#     (or CANCELED / ERROR), with a text for people;
#   - "apixo-task" element messages: the task's events (submitted, state,
#     success, downloaded, cached...) with the task id, the estimated cost;
#   - on an error, its "apixo-error" details: why (reason), which setting
#     (property), which task (task-id), the service's fail code and message,
#     read as fields, never parsed out of the text.
# Ctrl-C stops the pipeline at once; a task still running is left to the
# journal (run the same command again to resume it).  Exit status: 0 when
# the clip was generated and kept, 1 on an error, 130 when interrupted.
#
# The API key comes from APIXO_API_KEY, the service from APIXO_BASE_URL (a
# local apixo-sim, for instance); the plugin from GST_PLUGIN_PATH.
# Debian: python3-gi, gir1.2-gstreamer-1.0.

import signal
import sys

import gi

gi.require_version("Gst", "1.0")
from gi.repository import GLib, Gst  # noqa: E402

# The details an application may act on (gst/gstapixoerror.h).
DETAIL_FIELDS = ("reason", "property", "model", "task-id", "fail-code",
                 "fail-msg", "http-status", "estimated-cost", "balance")


def say(text):
    print(text, flush=True)  # flushed: other programs follow this output


def on_progress(msg):
    kind, code, text = msg.parse_progress()
    say("progress %s (%s): %s" % (kind.value_nick, code, text))


def on_task_event(s, run):
    event = s.get_string("event")
    task_id = s.get_string("task-id")
    if task_id:
        run["task-id"] = task_id
    line = "task %s: %s" % (task_id or "-", event)
    if event == "state":
        line += " %s" % s.get_string("state")
    ok, cost = s.get_double("estimated-cost")
    if ok:
        line += " (estimated cost %.2f USD)" % cost
    if event == "downloaded":
        line += " to %s" % s.get_string("location")
    say(line)


def error_details(msg):
    """The "apixo-error" details of an ERROR or WARNING message as a dict
    (empty when there are none)."""
    if msg.type == Gst.MessageType.ERROR:
        details = msg.parse_error_details()
    else:
        details = msg.parse_warning_details()
    if details is None or details.get_name() != "apixo-error":
        return {}
    found = {}
    for name in DETAIL_FIELDS:
        if details.has_field(name):
            found[name] = details.get_value(name)
    return found


def report(msg, what):
    err, _debug = msg.parse_error() if what == "error" \
        else msg.parse_warning()
    sys.stderr.write("%s: %s\n" % (what, err.message))
    for name, value in error_details(msg).items():
        sys.stderr.write("  %s: %s\n" % (name, value))
    sys.stderr.flush()


def make_pipeline(model, prompt, output, props):
    pipeline = Gst.Pipeline()
    src = Gst.ElementFactory.make("apixosrc")
    sink = Gst.ElementFactory.make("fakesink")
    if src is None:
        sys.exit("apixosrc not found: set GST_PLUGIN_PATH to the build's "
                 "gst/ directory")
    src.set_property("model", model)
    src.set_property("prompt", prompt)
    src.set_property("save-location", output)
    for arg in props:
        name, sep, value = arg.partition("=")
        if not sep or src.find_property(name) is None:
            sys.exit("not an apixosrc property: %s" % arg)
        Gst.util_set_object_arg(src, name, value)
    pipeline.add(src)
    pipeline.add(sink)
    src.link(sink)
    return pipeline


def run(pipeline):
    """Plays @pipeline to its end; returns the exit status."""
    loop = GLib.MainLoop()
    run = {"status": 1, "interrupted": False}

    def on_message(_bus, msg):
        if msg.type == Gst.MessageType.PROGRESS:
            on_progress(msg)
        elif msg.type == Gst.MessageType.ELEMENT and \
                msg.has_name("apixo-task"):
            on_task_event(msg.get_structure(), run)
        elif msg.type == Gst.MessageType.WARNING:
            report(msg, "warning")
        elif msg.type == Gst.MessageType.ERROR:
            report(msg, "error")
            loop.quit()
        elif msg.type == Gst.MessageType.EOS:
            run["status"] = 0
            loop.quit()
        return True

    def on_interrupt():
        sys.stderr.write("Interrupted: stopping the pipeline\n")
        run["interrupted"] = True
        run["status"] = 128 + signal.SIGINT
        loop.quit()
        return GLib.SOURCE_REMOVE

    bus = pipeline.get_bus()
    watch = bus.add_watch(GLib.PRIORITY_DEFAULT, on_message)
    GLib.unix_signal_add(GLib.PRIORITY_HIGH, signal.SIGINT, on_interrupt)
    pipeline.set_state(Gst.State.PLAYING)
    loop.run()
    GLib.source_remove(watch)
    # READY first: a task left running is said (a warning) while stopping
    pipeline.set_state(Gst.State.READY)
    while True:
        msg = bus.pop()
        if msg is None:
            break
        on_message(bus, msg)
    pipeline.set_state(Gst.State.NULL)
    if run["interrupted"] and run.get("task-id"):
        sys.stderr.write("Task %s is left to the journal: run the same "
                         "command again to resume it.\n" % run["task-id"])
    return run["status"]


def main(argv):
    if len(argv) < 4:
        sys.exit("usage: %s MODEL PROMPT OUTPUT.mp4 [NAME=VALUE...]" % argv[0])
    Gst.init(None)
    return run(make_pipeline(argv[1], argv[2], argv[3], argv[4:]))


if __name__ == "__main__":
    sys.exit(main(sys.argv))
