#!/usr/bin/python3
"""A fake IP camera for the ingest/rtsp tests: a GStreamer RTSP server
serving an H.264 test pattern, optionally behind basic or digest auth.

Run with Debian's /usr/bin/python3 (it needs python3-gi and
gir1.2-gst-rtsp-server-1.0). Prints "ready" on stdout once listening and
serves until killed or until --max-seconds pass.
"""
import argparse
import sys

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstRtsp", "1.0")
gi.require_version("GstRtspServer", "1.0")
from gi.repository import GLib, Gst, GstRtsp, GstRtspServer  # noqa: E402


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--path", default="/cam")
    p.add_argument("--user", default="")
    p.add_argument("--password", default="")
    p.add_argument("--auth", choices=["none", "basic", "digest"], default="none")
    p.add_argument("--fps", type=int, default=25)
    p.add_argument("--max-seconds", type=int, default=120)
    a = p.parse_args()

    Gst.init(None)
    server = GstRtspServer.RTSPServer()
    server.set_address("127.0.0.1")
    server.set_service(str(a.port))

    factory = GstRtspServer.RTSPMediaFactory()
    factory.set_launch(
        "( videotestsrc is-live=true pattern=ball "
        f"! video/x-raw,width=320,height=240,framerate={a.fps}/1 "
        "! x264enc tune=zerolatency speed-preset=ultrafast "
        f"key-int-max={a.fps} bitrate=500 "
        "! video/x-h264,profile=baseline "
        "! rtph264pay name=pay0 pt=96 config-interval=1 )"
    )
    factory.set_shared(True)

    if a.auth != "none":
        auth = GstRtspServer.RTSPAuth()
        token = GstRtspServer.RTSPToken()
        token.set_string(GstRtspServer.RTSP_TOKEN_MEDIA_FACTORY_ROLE, "user")
        if a.auth == "digest":
            auth.set_supported_methods(GstRtsp.RTSPAuthMethod.DIGEST)
            auth.add_digest(a.user, a.password, token)
        else:
            auth.set_supported_methods(GstRtsp.RTSPAuthMethod.BASIC)
            auth.add_basic(GstRtspServer.RTSPAuth.make_basic(a.user, a.password), token)
        server.set_auth(auth)
        perms = GstRtspServer.RTSPPermissions()
        perms.add_permission_for_role("user", GstRtspServer.RTSP_PERM_MEDIA_FACTORY_ACCESS, True)
        perms.add_permission_for_role("user", GstRtspServer.RTSP_PERM_MEDIA_FACTORY_CONSTRUCT, True)
        factory.set_permissions(perms)

    server.get_mount_points().add_factory(a.path, factory)
    if server.attach(None) == 0:
        print("cannot listen on port", a.port, file=sys.stderr, flush=True)
        sys.exit(1)

    loop = GLib.MainLoop()
    GLib.timeout_add_seconds(a.max_seconds, loop.quit)
    print("ready", flush=True)
    loop.run()


if __name__ == "__main__":
    main()
