#!/usr/bin/python3
# gst-apixo example: a GES timeline of generated clips, saved and rendered.
# SPDX-License-Identifier: LGPL-2.1-or-later
#
#   apixo-timeline.py [--model M] [--seed N] [--set NAME=VALUE]...
#                     PROJECT.xges OUTPUT.mp4 CLIP...
#
# Each CLIP is a prompt (made into apixo://M?prompt=...&seed=N, the seed
# growing by one per clip, with every --set NAME=VALUE added: resolution,
# duration, any apixosrc property) or an apixo:// URI used as it is.  The
# clips go end to end on one layer of a 640x360 timeline with sound; the
# project is saved to PROJECT.xges (it stores the URIs, never the key), then
# rendered to OUTPUT.mp4 (H.264 and AAC).
#
# An apixo:// clip is generated the first time it is used (discovery) and
# served from the result cache afterwards: rendering, rendering again,
# loading the project in an editor, and re-running this program pay
# nothing more.  Generation takes minutes, so discovery here waits up to
# --discovery-timeout seconds (GES 1.22 would give up after 60 s; a clip
# that gives up is not lost: the journal resumes its task on the next use).
#
# The API key comes from APIXO_API_KEY, the service from APIXO_BASE_URL; the
# plugin from GST_PLUGIN_PATH.  Debian: python3-gi, gir1.2-ges-1.0,
# gstreamer1.0-libav (the AAC encoder), gstreamer1.0-plugins-ugly (x264).

import argparse
import sys
import urllib.parse

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GES", "1.0")
gi.require_version("GstPbutils", "1.0")
from gi.repository import GES, GLib, Gst, GstPbutils  # noqa: E402

TIMELINE_CAPS = "video/x-raw,width=640,height=360,framerate=24/1"
# MP4: the container, then the video and the audio format
MP4 = ("video/quicktime,variant=iso", "video/x-h264",
       "audio/mpeg,mpegversion=4")


def clip_uris(args):
    """The apixo:// URI of each CLIP argument."""
    uris = []
    for i, clip in enumerate(args.clips):
        if clip.startswith("apixo://"):
            uris.append(clip)
            continue
        query = [("prompt", clip), ("seed", str(args.seed + i))]
        query += [tuple(s.split("=", 1)) for s in args.set]
        uris.append("apixo://%s?%s" % (args.model, urllib.parse.urlencode(
            query, quote_via=urllib.parse.quote)))
    return uris


def build_timeline(project, uris):
    """A timeline of @uris end to end; each clip as long as its asset."""
    timeline = project.extract()
    picture, sound = GES.VideoTrack.new(), GES.AudioTrack.new()
    # every clip scaled to one size and rate, whatever its model made
    picture.set_restriction_caps(Gst.Caps.from_string(TIMELINE_CAPS))
    for track in (picture, sound):
        timeline.add_track(track)
    layer = timeline.append_layer()
    for uri in uris:
        print("discovering %s" % uri, flush=True)
        # discovery generates the clip (or finds it in the cache)
        asset = project.create_asset_sync(uri, GES.UriClip)
        end = timeline.get_duration()
        layer.add_asset(asset, end, 0, asset.get_duration(),
                        GES.TrackType.UNKNOWN)
        print("  %.2f s at %.2f s" % (asset.get_duration() / Gst.SECOND,
                                      end / Gst.SECOND), flush=True)
    return timeline


def mp4_profile():
    """MP4 as an encoding profile (after Gst.init(): the profile classes
    need it)."""
    container, video, audio = (Gst.Caps.from_string(c) for c in MP4)
    profile = GstPbutils.EncodingContainerProfile.new("mp4", None, container,
                                                      None)
    for track in (GstPbutils.EncodingVideoProfile.new(video, None, None, 0),
                  GstPbutils.EncodingAudioProfile.new(audio, None, None, 0)):
        profile.add_profile(track)
    return profile


def render(timeline, output):
    """Renders @timeline to @output; returns an error text or None."""
    pipeline = GES.Pipeline()
    pipeline.set_timeline(timeline)
    pipeline.set_render_settings(Gst.filename_to_uri(output), mp4_profile())
    pipeline.set_mode(GES.PipelineFlags.RENDER)
    bus = pipeline.get_bus()
    pipeline.set_state(Gst.State.PLAYING)
    msg = bus.timed_pop_filtered(Gst.CLOCK_TIME_NONE,
                                 Gst.MessageType.EOS | Gst.MessageType.ERROR)
    failure = None
    if msg.type == Gst.MessageType.ERROR:
        err, _debug = msg.parse_error()
        failure = err.message
    pipeline.set_state(Gst.State.NULL)
    return failure


def parse_args(argv):
    p = argparse.ArgumentParser(
        description="A GES timeline of generated clips, saved and rendered.")
    p.add_argument("--model", default="wan-2-5-video")
    p.add_argument("--seed", type=int, default=1,
                   help="seed of the first clip made from a prompt")
    p.add_argument("--set", action="append", default=[],
                   metavar="NAME=VALUE", help="a property of every clip "
                   "made from a prompt (repeat)")
    p.add_argument("--discovery-timeout", type=float, default=900,
                   metavar="SECONDS", help="how long discovery (which "
                   "generates the clip) may take")
    p.add_argument("project", help="the .xges project to write")
    p.add_argument("output", help="the MP4 to render")
    p.add_argument("clips", nargs="+", metavar="CLIP",
                   help="a prompt, or an apixo:// URI")
    args = p.parse_args(argv)
    for s in args.set:
        if "=" not in s:
            p.error("--set takes NAME=VALUE, not %r" % s)
    return args


def main(argv):
    args = parse_args(argv)
    Gst.init(None)
    GES.init()
    GES.UriClipAsset.set_timeout(int(args.discovery_timeout * Gst.SECOND))
    project = GES.Project.new(None)
    try:
        timeline = build_timeline(project, clip_uris(args))
    except GLib.Error as e:
        sys.stderr.write("a clip could not be loaded: %s\n" % e.message)
        return 1
    if not project.save(timeline, Gst.filename_to_uri(args.project), None,
                        True):
        sys.stderr.write("cannot save %s\n" % args.project)
        return 1
    print("saved %s (%.2f s)" % (args.project,
                                 timeline.get_duration() / Gst.SECOND),
          flush=True)
    failure = render(timeline, args.output)
    if failure:
        sys.stderr.write("rendering failed: %s\n" % failure)
        return 1
    print("rendered %s" % args.output, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
