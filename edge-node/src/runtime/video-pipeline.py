#!/usr/bin/python3
"""EdgePlay's video encoder: captures an X display and sends H.264 over RTP, steerable while it runs.

The ffmpeg CLI fixes its bitrate at start and ignores keyframe requests. This is the same job
(x11 capture -> I420 -> x264 ultrafast/zerolatency -> RTP) as a GStreamer pipeline whose
encoder settings can change between two frames:

  ximagesrc -> capsfilter(fps) -> videoconvertscale -> capsfilter(size, I420)
    -> x264enc -> capsfilter(constrained baseline) -> rtph264pay -> udpsink

One thread from capture to socket, as in ffmpeg: a slow encode delays the next capture rather
than queueing frames (no latency builds up), and no frame waits for a thread hand-over.

x264 gives each frame bitrate/fps bits, so a busy machine that captures fewer frames than asked
would send less than asked: once a second the bitrate handed to x264 is scaled by the frames
that were missing (and its VBV, in ms, down by as much, so that no frame grows as a burst on the
link). x264's variable-frame-rate mode would budget by timestamps instead, but it holds every
frame until the next one arrives to learn its duration: a frame of latency.

usage: video-pipeline.py --check   (prints the GStreamer version and any element missing)
       video-pipeline.py DISPLAY WIDTH HEIGHT FPS BITRATE_KBPS KEYINT_FRAMES VBV_MS RTP_PORT SSRC PAYLOAD_TYPE

Commands arrive on stdin, one JSON object per line:
  {"type": "bitrate", "kbps": 1800}                       x264 reconfigures; no keyframe
  {"type": "format", "width": 960, "height": 540, "fps": 60}  scale/rate change; the encoder
                                                          restarts and begins with a keyframe
  {"type": "keyframe"}                                    an IDR (with SPS/PPS) as soon as possible
It answers on stdout, one JSON object per line: {"type": "ready"} once frames flow,
{"type": "stats", ...} every second, {"type": "error", "message": ...} for a bad command.
It exits when stdin closes (the edge node is gone) or on a pipeline error (code 1).
"""
import json
import sys
import threading

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstVideo", "1.0")
from gi.repository import GLib, Gst, GstVideo  # noqa: E402

MAX_SIDE = 8192
MAX_FPS = 240
MAX_KBPS = 100_000
# x264's bitrate is raised at most this much to make up for frames a busy machine did not capture.
MAX_COMPENSATION = 3.0


def say(message: dict) -> None:
    sys.stdout.write(json.dumps(message, separators=(",", ":")) + "\n")
    sys.stdout.flush()


def even(value: int) -> int:
    return max(2, value - value % 2)


class Encoder:
    def __init__(self, argv: list[str]) -> None:
        display, width, height, fps, kbps, keyint, vbv_ms, port, ssrc, pt = argv
        self.width, self.height, self.fps, self.kbps = int(width), int(height), int(fps), int(kbps)
        self.vbv_ms = int(vbv_ms)
        self.encoded_rate = float(fps)
        self.compensation = 1.0
        self.capture = (int(width), int(height), int(fps))
        self.pipeline = Gst.parse_launch(
            f"ximagesrc name=src display-name={display} use-damage=false show-pointer=false"
            f" startx=0 starty=0 endx={int(width) - 1} endy={int(height) - 1}"
            # The capture rate itself: ximagesrc renegotiates when it changes (videorate would hold
            # every frame until the next arrives, a frame of latency).
            " ! capsfilter name=ratecaps"
            # Ladder sizes are rounded to even numbers: stretch by that pixel, no black border.
            " ! videoconvertscale add-borders=false ! capsfilter name=sizecaps"
            f" ! x264enc name=enc tune=zerolatency speed-preset=ultrafast bitrate={int(kbps)}"
            f" key-int-max={int(keyint)} vbv-buf-capacity={int(vbv_ms)}"
            " ! video/x-h264,profile=constrained-baseline"
            f" ! rtph264pay name=pay pt={int(pt)} ssrc={int(ssrc)} config-interval=-1 mtu=1200"
            " aggregate-mode=zero-latency"
            f" ! udpsink host=127.0.0.1 port={int(port)} sync=false async=false"
        )
        self.encoder = self.pipeline.get_by_name("enc")
        self.apply_format(self.width, self.height, self.fps)
        self.counts = {"captured": 0, "encoded": 0, "keyframes": 0, "bytes": 0}
        self.ready = False
        self.pipeline.get_by_name("src").get_static_pad("src").add_probe(Gst.PadProbeType.BUFFER, self.on_captured)
        self.encoder.get_static_pad("src").add_probe(Gst.PadProbeType.BUFFER, self.on_encoded)
        bus = self.pipeline.get_bus()
        bus.add_signal_watch()
        bus.connect("message::error", self.on_error)
        bus.connect("message::eos", lambda *_: self.stop(1, "the capture ended"))
        self.loop = GLib.MainLoop()
        self.exit_code = 0

    def apply_format(self, width: int, height: int, fps: int) -> None:
        self.width, self.height, self.fps = even(width), even(height), fps
        # A new rate starts without compensation: the old frame count says nothing about it.
        self.encoded_rate = float(fps)
        if self.compensation != 1.0:
            self.compensation = 1.0
            self.apply_bitrate()
        rate = Gst.Caps.from_string(f"video/x-raw,framerate={fps}/1")
        size = Gst.Caps.from_string(
            f"video/x-raw,format=I420,width={self.width},height={self.height},pixel-aspect-ratio=1/1"
        )
        self.pipeline.get_by_name("ratecaps").set_property("caps", rate)
        self.pipeline.get_by_name("sizecaps").set_property("caps", size)

    def on_captured(self, _pad, _info):
        self.counts["captured"] += 1
        return Gst.PadProbeReturn.OK

    def on_encoded(self, _pad, info):
        buffer = info.get_buffer()
        self.counts["encoded"] += 1
        self.counts["bytes"] += buffer.get_size()
        if not buffer.has_flags(Gst.BufferFlags.DELTA_UNIT):
            self.counts["keyframes"] += 1
        if not self.ready:
            self.ready = True
            GLib.idle_add(lambda: say({"type": "ready"}) and False)
        return Gst.PadProbeReturn.OK

    def on_error(self, _bus, message) -> None:
        error, _debug = message.parse_error()
        self.stop(1, f"{message.src.get_name()}: {error.message}")

    def stop(self, code: int, why: str | None = None) -> None:
        if why:
            sys.stderr.write(f"video-pipeline: {why}\n")
        self.exit_code = code
        self.loop.quit()

    def apply_bitrate(self) -> None:
        self.encoder.set_property("bitrate", max(1, round(self.kbps * self.compensation)))
        self.encoder.set_property("vbv-buf-capacity", max(1, round(self.vbv_ms / self.compensation)))

    def compensate(self, encoded: int) -> None:
        """Scales x264's bitrate by the frames a busy machine did not capture (see the module doc)."""
        self.encoded_rate = 0.5 * self.encoded_rate + 0.5 * encoded
        factor = min(MAX_COMPENSATION, max(1.0, self.fps / max(self.encoded_rate, 1.0)))
        if abs(factor - self.compensation) > 0.05 * self.compensation:
            self.compensation = factor
            self.apply_bitrate()

    def report(self) -> bool:
        counts, self.counts = self.counts, {"captured": 0, "encoded": 0, "keyframes": 0, "bytes": 0}
        self.compensate(counts["encoded"])
        say(
            {
                "type": "stats",
                **counts,
                "width": self.width,
                "height": self.height,
                "fps": self.fps,
                "kbps": self.kbps,
            }
        )
        return True

    def command(self, line: str) -> bool:
        """Runs one stdin command on the main loop; a bad one is answered, never fatal."""
        try:
            message = json.loads(line)
            kind = message.get("type") if isinstance(message, dict) else None
            if kind == "bitrate":
                kbps = message.get("kbps")
                if not isinstance(kbps, int) or not 1 <= kbps <= MAX_KBPS:
                    raise ValueError(f"kbps must be an integer from 1 to {MAX_KBPS}")
                self.kbps = kbps
                self.apply_bitrate()
            elif kind == "format":
                width, height, fps = message.get("width"), message.get("height"), message.get("fps")
                if not all(isinstance(v, int) for v in (width, height, fps)):
                    raise ValueError("width, height and fps must be integers")
                cap_w, cap_h, cap_fps = self.capture
                if not (16 <= width <= min(cap_w, MAX_SIDE) and 16 <= height <= min(cap_h, MAX_SIDE)):
                    raise ValueError(f"size must be from 16x16 to the capture's {cap_w}x{cap_h}")
                if not 1 <= fps <= min(cap_fps, MAX_FPS):
                    raise ValueError(f"fps must be from 1 to the capture's {cap_fps}")
                self.apply_format(width, height, fps)
            elif kind == "keyframe":
                event = GstVideo.video_event_new_upstream_force_key_unit(Gst.CLOCK_TIME_NONE, True, 0)
                self.encoder.get_static_pad("src").send_event(event)
            else:
                raise ValueError(f"unknown command type {kind!r}")
        except (ValueError, AttributeError, TypeError) as error:
            say({"type": "error", "message": str(error)})
        return False

    def read_commands(self) -> None:
        for line in sys.stdin:
            if line.strip():
                GLib.idle_add(self.command, line)
        GLib.idle_add(lambda: self.stop(0) and False)

    def run(self) -> int:
        if self.pipeline.set_state(Gst.State.PLAYING) == Gst.StateChangeReturn.FAILURE:
            sys.stderr.write("video-pipeline: the pipeline did not start\n")
            return 1
        threading.Thread(target=self.read_commands, daemon=True).start()
        GLib.timeout_add(1000, self.report)
        self.loop.run()
        self.pipeline.set_state(Gst.State.NULL)
        return self.exit_code


ELEMENTS = ("ximagesrc", "videoconvertscale", "x264enc", "rtph264pay", "udpsink")


def main() -> int:
    check = sys.argv[1:] == ["--check"]
    if not check and len(sys.argv) != 11:
        sys.stderr.write(__doc__ or "")
        return 2
    Gst.init(None)
    missing = [name for name in ELEMENTS if Gst.ElementFactory.find(name) is None]
    if check:
        # `edge-node doctor`: what this machine's GStreamer has, as one JSON line.
        print(json.dumps({"gstreamer": Gst.version_string(), "missing": missing}), flush=True)
        return 0
    if missing:
        sys.stderr.write(f"video-pipeline: GStreamer elements missing: {', '.join(missing)}\n")
        return 1
    return Encoder(sys.argv[1:]).run()


if __name__ == "__main__":
    sys.exit(main())
