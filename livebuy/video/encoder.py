"""One ffmpeg child process writing the live test stream's HLS segments into a private directory.

The picture is a moving test pattern with the program clock (UTC, ms) burned in. The clock starts
at ``epoch_ms``, the wall-clock moment the encoder was launched, and runs with the video's
timestamps, so local segment ``k`` starts at ``epoch_ms + k * segment_ms`` on the program clock.

Only the process holding the show's video lease runs an encoder (``livebuy.video.runner``); the
directory is private to this encoder run, and its segments reach viewers through Redis.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import logging
import shutil
import signal
import sys
from pathlib import Path
from typing import IO

from livebuy.clock import Clock, now_ms
from livebuy.video.playlist import LocalSegment, finished_segments

log = logging.getLogger(__name__)

FRAMES_PER_SECOND = 25
PLAYLIST = "index.m3u8"
# Segments ffmpeg keeps listed (and on disk) locally; the publisher reads each one long before.
LOCAL_SEGMENTS_LISTED = 6
PR_SET_PDEATHSIG = 1


def ffmpeg_command(
    ffmpeg: str, directory: Path, epoch_ms: int, segment_ms: int = 1000
) -> list[str]:
    """The ffmpeg command line: test pattern + burned-in clock, H.264 in MPEG-TS segments."""
    seconds = f"{epoch_ms // 1000}.{epoch_ms % 1000:03d}"
    fraction = f"0.{epoch_ms % 1000:03d}"
    clock = (
        rf"%{{pts\:gmtime\:{seconds}\:%H\\\:%M\\\:%S}}"
        rf".%{{eif\:mod(floor((t+{fraction})*1000)\,1000)\:d\:3}}"
    )
    drawtext = (
        "drawtext=font=monospace:fontsize=44:fontcolor=white:box=1:boxcolor=black@0.65"
        f":boxborderw=12:x=(w-text_w)/2:y=h-text_h-36:text='{clock} UTC'"
    )
    label = (
        "drawtext=font=monospace:fontsize=22:fontcolor=white:box=1:boxcolor=black@0.65"
        ":boxborderw=8:x=(w-text_w)/2:y=h-text_h-118:text='livebuy program clock'"
    )
    keyframes = FRAMES_PER_SECOND * segment_ms // 1000
    return [
        ffmpeg,
        "-hide_banner",
        "-nostdin",
        "-loglevel",
        "error",
        "-re",
        "-f",
        "lavfi",
        "-i",
        f"testsrc2=size=640x360:rate={FRAMES_PER_SECOND}",
        "-vf",
        f"{drawtext},{label}",
        "-c:v",
        "libx264",
        "-preset",
        "ultrafast",
        "-tune",
        "zerolatency",
        "-profile:v",
        "baseline",
        "-pix_fmt",
        "yuv420p",
        # One keyframe per segment, exactly: segment k then starts k * segment_ms after the epoch.
        "-g",
        str(keyframes),
        "-keyint_min",
        str(keyframes),
        "-sc_threshold",
        "0",
        "-f",
        "hls",
        "-hls_time",
        str(segment_ms / 1000),
        "-hls_list_size",
        str(LOCAL_SEGMENTS_LISTED),
        "-hls_flags",
        "delete_segments+independent_segments+temp_file",
        "-start_number",
        "0",
        "-hls_segment_filename",
        str(directory / "seg%d.ts"),
        str(directory / PLAYLIST),
    ]


def _die_with_parent() -> None:
    """Runs in the forked child: ffmpeg is killed when livebuy dies, even by SIGKILL.

    Without it a crashed lease holder would leave an orphan ffmpeg burning CPU (its segments are
    fenced out of the shared stream by the lease, but the CPU is not).
    """
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)


class Encoder:
    """One ffmpeg run: ``start``, then ``finished_segments`` as they appear, then ``stop``."""

    def __init__(
        self,
        ffmpeg: str,
        directory: Path,
        *,
        segment_ms: int,
        clock: Clock = now_ms,
    ) -> None:
        self.directory = directory
        self.segment_ms = segment_ms
        self.epoch_ms = 0
        self._ffmpeg = ffmpeg
        self._clock = clock
        self._process: asyncio.subprocess.Process | None = None
        self._log: IO[bytes] | None = None

    @property
    def pid(self) -> int | None:
        """ffmpeg's process id while it runs."""
        if self._process is None or self._process.returncode is not None:
            return None
        return self._process.pid

    @property
    def exited(self) -> bool:
        """ffmpeg was started and has exited on its own."""
        return self._process is not None and self._process.returncode is not None

    async def exit_reason(self) -> str:
        """Why ffmpeg exited: its exit code and the tail of its log."""
        code = None if self._process is None else self._process.returncode
        return f"ffmpeg exited with {code}: {await asyncio.to_thread(self._log_tail)}"

    async def start(self) -> None:
        """Launch ffmpeg into a fresh directory; its epoch is the launch moment."""
        await asyncio.to_thread(self._prepare_directory)
        self.epoch_ms = self._clock()
        self._log = await asyncio.to_thread((self.directory / "ffmpeg.log").open, "wb")
        self._process = await asyncio.create_subprocess_exec(
            *ffmpeg_command(self._ffmpeg, self.directory, self.epoch_ms, self.segment_ms),
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=self._log,
            preexec_fn=_die_with_parent if sys.platform == "linux" else None,
        )

    async def finished_segments(self) -> list[LocalSegment]:
        """The finished segments ffmpeg lists now (none before its first playlist)."""
        try:
            text = await asyncio.to_thread((self.directory / PLAYLIST).read_text)
        except FileNotFoundError:
            return []
        return finished_segments(text)

    async def read_segment(self, segment: LocalSegment) -> bytes | None:
        """The bytes of a listed segment, or None when ffmpeg already deleted it."""
        try:
            return await asyncio.to_thread((self.directory / f"seg{segment.number}.ts").read_bytes)
        except FileNotFoundError:
            return None

    async def stop(self) -> None:
        """Stop ffmpeg (terminate, then kill after 5 s) and remove its directory."""
        process, self._process = self._process, None
        if process is not None and process.returncode is None:
            process.terminate()
            try:
                async with asyncio.timeout(5):
                    await process.wait()
            except TimeoutError:
                process.kill()
                await process.wait()
        if self._log is not None:
            self._log.close()
            self._log = None
        await asyncio.to_thread(shutil.rmtree, self.directory, True)

    def _prepare_directory(self) -> None:
        shutil.rmtree(self.directory, ignore_errors=True)
        self.directory.mkdir(parents=True)

    def _log_tail(self) -> str:
        with contextlib.suppress(OSError):
            text = (self.directory / "ffmpeg.log").read_text(errors="replace")
            return text.strip()[-500:] or "no log"
        return "no log"
