"""The live test stream: one ffmpeg child process writing HLS segments into a directory.

The picture is a moving test pattern with the program clock (UTC, ms) burned in. The clock starts
at ``epoch_ms``, the wall-clock moment the encoder was launched, and runs with the video's
timestamps; ``playlist.with_program_dates`` dates every segment from the same epoch, so a player's
program time (hls.js ``playingDate``) is the wall clock the show's cue ``at`` times use.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import shutil
from pathlib import Path
from typing import IO

from livebuy.clock import Clock, now_ms
from livebuy.errors import NotFoundError
from livebuy.video.playlist import SEGMENT_NAME, with_program_dates

log = logging.getLogger(__name__)

SEGMENT_MS = 1000
FRAMES_PER_SECOND = 25
PLAYLIST = "index.m3u8"
SEGMENTS_LISTED = 6


def ffmpeg_command(ffmpeg: str, directory: Path, epoch_ms: int) -> list[str]:
    """The ffmpeg command line: test pattern + burned-in clock, H.264 in MPEG-TS, 1 s segments."""
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
    keyframes = FRAMES_PER_SECOND * SEGMENT_MS // 1000
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
        # One keyframe per segment, exactly: segment n then starts n * SEGMENT_MS after the epoch.
        "-g",
        str(keyframes),
        "-keyint_min",
        str(keyframes),
        "-sc_threshold",
        "0",
        "-f",
        "hls",
        "-hls_time",
        str(SEGMENT_MS / 1000),
        "-hls_list_size",
        str(SEGMENTS_LISTED),
        "-hls_flags",
        "delete_segments+independent_segments+temp_file",
        "-start_number",
        "0",
        "-hls_segment_filename",
        str(directory / "seg%d.ts"),
        str(directory / PLAYLIST),
    ]


class LiveVideo:
    """Owns the ffmpeg process and answers the HLS routes' questions about its output."""

    def __init__(self, directory: Path, *, ffmpeg: str = "ffmpeg", clock: Clock = now_ms) -> None:
        self.directory = directory
        self.epoch_ms: int | None = None
        self._ffmpeg = shutil.which(ffmpeg)
        self._clock = clock
        self._process: asyncio.subprocess.Process | None = None
        self._log: IO[bytes] | None = None
        self._unavailable: str | None = None

    @property
    def unavailable_reason(self) -> str | None:
        """Why there is no video (ffmpeg missing or exited), or None while it streams."""
        if self._unavailable is None and self._process is not None:
            if self._process.returncode is not None:
                self._unavailable = f"ffmpeg exited with {self._process.returncode}: " + (
                    self._log_tail()
                )
        return self._unavailable

    async def start(self, ready_timeout_s: float = 10.0) -> None:
        """Launch ffmpeg and wait (bounded) for its first playlist; a missing ffmpeg is logged."""
        if self._ffmpeg is None:
            self._unavailable = "ffmpeg is not installed (apt-get install ffmpeg)"
            log.warning("live video off", extra={"reason": self._unavailable})
            return
        await asyncio.to_thread(self._prepare_directory)
        self.epoch_ms = self._clock()
        self._log = await asyncio.to_thread((self.directory / "ffmpeg.log").open, "wb")
        self._process = await asyncio.create_subprocess_exec(
            *ffmpeg_command(self._ffmpeg, self.directory, self.epoch_ms),
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=self._log,
        )
        playlist = self.directory / PLAYLIST
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(ready_timeout_s):
                # ffmpeg signals nothing when its first segment is written; the file appearing is it.
                while True:
                    if playlist.exists() or self.unavailable_reason is not None:
                        break
                    await asyncio.sleep(0.05)
        log.info(
            "live video started",
            extra={"directory": str(self.directory), "epoch_ms": self.epoch_ms},
        )

    async def stop(self) -> None:
        """Stop ffmpeg (terminate, then kill after 5 s)."""
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
        self._unavailable = self._unavailable or "the live video was stopped"

    async def playlist(self) -> str:
        """The live media playlist, every segment dated on the program clock.

        Raises:
            NotFoundError: no video (ffmpeg missing or exited) or no segment yet.
        """
        self._raise_if_unavailable()
        assert self.epoch_ms is not None
        try:
            text = await asyncio.to_thread((self.directory / PLAYLIST).read_text)
        except FileNotFoundError as error:
            raise NotFoundError("the live video is starting: no segment yet") from error
        return with_program_dates(text, self.epoch_ms, SEGMENT_MS)

    def segment_path(self, name: str) -> Path:
        """The file of segment ``name`` (``seg<n>.ts``).

        Raises:
            NotFoundError: no video, a name that is not a segment's, or a segment already deleted.
        """
        self._raise_if_unavailable()
        path = self.directory / name
        if SEGMENT_NAME.match(name) is None or not path.is_file():
            raise NotFoundError(f"no video segment '{name}'")
        return path

    def _raise_if_unavailable(self) -> None:
        reason = self.unavailable_reason
        if reason is not None:
            raise NotFoundError(f"live video unavailable: {reason}")

    def _prepare_directory(self) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        for stale in self.directory.glob("seg*.ts*"):
            stale.unlink()
        (self.directory / PLAYLIST).unlink(missing_ok=True)

    def _log_tail(self) -> str:
        try:
            text = (self.directory / "ffmpeg.log").read_text(errors="replace")
        except OSError:
            return "no log"
        return text.strip()[-500:] or "no log"
