# A small GES application, as an editor would use the plugin: run by
# test_ges.py in its own processes, with the plugin, the service and the
# cache directory given by the environment (GST_PLUGIN_PATH_1_0,
# APIXO_BASE_URL, APIXO_API_KEY, XDG_CACHE_HOME, GES_DISCOVERY_TIMEOUT).
#
#   gestimeline.py save PROJECT.xges URI...
#       a project whose timeline plays the URIs one after the other, each
#       clip as long as its asset (discovered here), saved to PROJECT.xges
#   gestimeline.py render PROJECT.xges OUT.mp4
#       loads the project in this (new) process and renders it
#
# Each prints one JSON object on stdout: what the test checks besides the
# sim and the output file.  Any failure exits 1 with the reason on stderr.
# Debian's /usr/bin/python3 (python3-gi, gir1.2-ges-1.0).
# SPDX-License-Identifier: LGPL-2.1-or-later

import json
import os
import sys

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstPbutils", "1.0")
gi.require_version("GES", "1.0")
from gi.repository import GES, GLib, Gst, GstPbutils  # noqa: E402

# Renders are MP4 with H.264 and AAC; MP4_FORMAT is that profile as
# `ges-launch-1.0 -f` takes it.
CONTAINER = "video/quicktime,variant=iso"
VIDEO = "video/x-h264"
AUDIO = "audio/mpeg,mpegversion=4"
MP4_FORMAT = ":".join((CONTAINER, VIDEO, AUDIO))
# The timelines' video size and rate (small: the test machines are shared);
# VIDEO_CAPS as `ges-launch-1.0 --video-caps` takes it.
WIDTH, HEIGHT, FPS = 640, 360, 24
VIDEO_CAPS = "video/x-raw,width=%d,height=%d,framerate=%d/1" % (WIDTH, HEIGHT,
                                                               FPS)


def fail(what):
    sys.stderr.write("gestimeline.py: %s\n" % what)
    sys.exit(1)


def mp4_profile():
    profile = GstPbutils.EncodingContainerProfile.new(
        "mp4", None, Gst.Caps.from_string(CONTAINER), None)
    profile.add_profile(GstPbutils.EncodingVideoProfile.new(
        Gst.Caps.from_string(VIDEO), None, None, 0))
    profile.add_profile(GstPbutils.EncodingAudioProfile.new(
        Gst.Caps.from_string(AUDIO), None, None, 0))
    return profile


def save(xges, uris):
    """Discovers each URI (GES's discoverer, GES_DISCOVERY_TIMEOUT), puts
    the clips end to end on one layer, saves the project."""
    project = GES.Project.new(None)
    timeline = project.extract()
    video = GES.VideoTrack.new()
    video.set_restriction_caps(Gst.Caps.from_string(VIDEO_CAPS))
    timeline.add_track(video)
    timeline.add_track(GES.AudioTrack.new())
    layer = timeline.append_layer()
    clips = []
    start = 0
    for uri in uris:
        try:
            asset = project.create_asset_sync(uri, GES.UriClip)
        except GLib.Error as e:
            fail("cannot load %s: %s" % (uri, e.message))
        if asset is None:
            fail("no asset for %s" % uri)
        duration = asset.get_duration()
        if layer.add_asset(asset, start, 0, duration,
                           GES.TrackType.UNKNOWN) is None:
            fail("cannot add a clip of %s" % uri)
        clips.append({"uri": uri, "duration": duration})
        start += duration
    if not project.save(timeline, Gst.filename_to_uri(xges), None, True):
        fail("cannot save %s" % xges)
    return {"clips": clips, "duration": timeline.get_duration()}


def load(xges):
    """The project's timeline, once every asset is loaded (discovered)."""
    loop = GLib.MainLoop()
    errors = []

    def failed(what):
        errors.append(what)
        loop.quit()

    project = GES.Project.new(Gst.filename_to_uri(xges))
    project.connect("loaded", lambda _p, _t: loop.quit())
    project.connect("error-loading",
                    lambda _p, _t, err: failed(err.message))
    project.connect("error-loading-asset",
                    lambda _p, err, aid, _type: failed(
                        "%s: %s" % (aid, err.message)))
    timeline = project.extract()
    if timeline is None:
        fail("cannot load %s" % xges)
    loop.run()
    if errors:
        fail("loading %s: %s" % (xges, "; ".join(errors)))
    if not timeline.get_tracks():
        fail("%s has no tracks: nothing to render" % xges)
    return timeline


def render(xges, out):
    """Renders the project in @xges to @out (MP4); the apixo-task events
    the clips' sources posted on the way, in order."""
    timeline = load(xges)
    pipeline = GES.Pipeline()
    pipeline.set_timeline(timeline)
    if not pipeline.set_render_settings(Gst.filename_to_uri(out),
                                        mp4_profile()):
        fail("cannot render to %s" % out)
    pipeline.set_mode(GES.PipelineFlags.RENDER)
    loop = GLib.MainLoop()
    errors = []
    events = []

    def on_message(_bus, msg):
        if msg.type == Gst.MessageType.EOS:
            loop.quit()
        elif msg.type == Gst.MessageType.ERROR:
            err, debug = msg.parse_error()
            errors.append("%s (%s)" % (err.message, debug))
            loop.quit()
        elif msg.type == Gst.MessageType.ELEMENT:
            s = msg.get_structure()
            if s is not None and s.get_name() == "apixo-task":
                events.append(s.get_string("event"))

    bus = pipeline.get_bus()
    bus.add_signal_watch()
    bus.connect("message", on_message)
    pipeline.set_state(Gst.State.PLAYING)
    loop.run()
    pipeline.set_state(Gst.State.NULL)
    bus.remove_signal_watch()
    if errors:
        fail("rendering %s: %s" % (xges, "; ".join(errors)))
    return {"duration": timeline.get_duration(), "events": events}


def set_discovery_timeout():
    """GES_DISCOVERY_TIMEOUT (seconds) for every discovery of this
    process.  GES 1.24 reads it for all of them; GES 1.22 (Debian 12) only
    for a discoverer that URI clips no longer use (theirs keep 60 s), so an
    application sets it itself, as editors should."""
    seconds = os.environ.get("GES_DISCOVERY_TIMEOUT")
    if seconds:
        GES.UriClipAsset.set_timeout(int(float(seconds) * Gst.SECOND))


def main(argv):
    Gst.init(None)
    GES.init()
    set_discovery_timeout()
    if len(argv) >= 3 and argv[1] == "save":
        result = save(argv[2], argv[3:])
    elif len(argv) == 4 and argv[1] == "render":
        result = render(argv[2], argv[3])
    else:
        fail("usage: gestimeline.py save PROJECT URI... | "
             "render PROJECT OUT")
    json.dump(result, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main(sys.argv)
