//! The markers of `docs/media.md` as files a browser's fake capture plays:
//! Chromium's `--use-file-for-fake-video-capture` takes a `.y4m`,
//! `--use-file-for-fake-audio-capture` a `.wav`, and loops both. A page
//! whose camera and microphone are these files sends what the reference
//! engine's virtual devices send for the same user (the sender's tag in
//! every picture, numbered frames, the user's tone), so the suite reads a
//! browser's media the way it reads the engine's.

use std::io::Write;
use std::path::{Path, PathBuf};

use nccall::ToneSource;
use nccall::marker::{GRAIN, VideoMarker, add_grain, draw_i420, tag_of, tone_hz};

/// The picture size of the video file: small enough that a loop of a few
/// seconds stays a few megabytes, large enough that every marker cell is
/// 40×30 pixels.
pub const VIDEO_WIDTH: usize = 320;
pub const VIDEO_HEIGHT: usize = 240;
/// Frames a second of the video file (Chromium plays it at this rate).
pub const VIDEO_FPS: u32 = 15;
/// Frames in the video file before it loops (four seconds): frame numbers
/// run 1..=VIDEO_FRAMES and start again.
pub const VIDEO_FRAMES: u32 = 60;
/// The audio file's rate; one second of tone, a whole number of cycles of
/// every marker frequency, so the loop has no click.
pub const AUDIO_RATE: u32 = 48_000;

/// The two files of one user.
#[derive(Debug, Clone)]
pub struct CaptureFiles {
    pub video: PathBuf,
    pub audio: PathBuf,
}

/// Writes `<dir>/<user>.y4m` and `<dir>/<user>.wav` for `user`.
pub fn write_for_user(dir: &Path, user: &str) -> std::io::Result<CaptureFiles> {
    std::fs::create_dir_all(dir)?;
    let files = CaptureFiles {
        video: dir.join(format!("{user}.y4m")),
        audio: dir.join(format!("{user}.wav")),
    };
    let tag = tag_of(user);
    write_y4m(&files.video, &video_frames(tag))?;
    write_wav(&files.audio, &tone(tag))?;
    Ok(files)
}

/// The file's pictures: marker `n` (1-based) carries the user's tag, frame
/// number `n` and, as capture time, the frame's position in the file in
/// milliseconds (a file has no clock: a receiver cannot take a browser's
/// frame age from it).
pub fn video_frames(tag: u16) -> Vec<Vec<u8>> {
    (1..=VIDEO_FRAMES)
        .map(|number| {
            let marker = VideoMarker {
                tag,
                number,
                capture_ms: (number - 1) * 1000 / VIDEO_FPS,
            };
            let mut picture = draw_i420(&marker, VIDEO_WIDTH, VIDEO_HEIGHT);
            add_grain(
                &mut picture,
                VIDEO_WIDTH,
                VIDEO_HEIGHT,
                u64::from(number),
                GRAIN,
            );
            picture
        })
        .collect()
}

/// One second of the user's tone at [`AUDIO_RATE`].
pub fn tone(tag: u16) -> Vec<i16> {
    ToneSource::new(tone_hz(tag), AUDIO_RATE).samples(0, AUDIO_RATE as usize)
}

/// A YUV4MPEG2 stream of I420 pictures ([`VIDEO_WIDTH`]×[`VIDEO_HEIGHT`]).
fn write_y4m(path: &Path, frames: &[Vec<u8>]) -> std::io::Result<()> {
    let mut out = std::io::BufWriter::new(std::fs::File::create(path)?);
    writeln!(
        out,
        "YUV4MPEG2 W{VIDEO_WIDTH} H{VIDEO_HEIGHT} F{VIDEO_FPS}:1 Ip A1:1 C420"
    )?;
    for frame in frames {
        out.write_all(b"FRAME\n")?;
        out.write_all(frame)?;
    }
    out.flush()
}

/// A RIFF/WAVE file of 16-bit mono PCM at [`AUDIO_RATE`].
fn write_wav(path: &Path, samples: &[i16]) -> std::io::Result<()> {
    let data_len = u32::try_from(samples.len() * 2).map_err(std::io::Error::other)?;
    let mut out = std::io::BufWriter::new(std::fs::File::create(path)?);
    out.write_all(b"RIFF")?;
    out.write_all(&(36 + data_len).to_le_bytes())?;
    out.write_all(b"WAVEfmt ")?;
    out.write_all(&16u32.to_le_bytes())?; // fmt chunk size
    out.write_all(&1u16.to_le_bytes())?; // PCM
    out.write_all(&1u16.to_le_bytes())?; // mono
    out.write_all(&AUDIO_RATE.to_le_bytes())?;
    out.write_all(&(AUDIO_RATE * 2).to_le_bytes())?; // bytes a second
    out.write_all(&2u16.to_le_bytes())?; // bytes a sample frame
    out.write_all(&16u16.to_le_bytes())?; // bits a sample
    out.write_all(b"data")?;
    out.write_all(&data_len.to_le_bytes())?;
    for s in samples {
        out.write_all(&s.to_le_bytes())?;
    }
    out.flush()
}

#[cfg(test)]
mod tests {
    use super::*;
    use nccall::marker::{detect_tone, read_luma};

    #[test]
    fn the_files_carry_the_users_markers_and_tone() {
        let dir = std::env::temp_dir().join(format!("nccall-capture-{}", std::process::id()));
        let files = write_for_user(&dir, "alice").expect("files written");
        let y4m = std::fs::read(&files.video).expect("y4m");
        let header_end = y4m.iter().position(|&b| b == b'\n').expect("header");
        assert_eq!(
            &y4m[..header_end],
            format!("YUV4MPEG2 W{VIDEO_WIDTH} H{VIDEO_HEIGHT} F{VIDEO_FPS}:1 Ip A1:1 C420")
                .as_bytes()
        );
        let frame_len = VIDEO_WIDTH * VIDEO_HEIGHT * 3 / 2;
        let body = &y4m[header_end + 1..];
        assert_eq!(body.len(), VIDEO_FRAMES as usize * (6 + frame_len));
        for n in [0usize, 1, VIDEO_FRAMES as usize - 1] {
            let start = n * (6 + frame_len);
            assert_eq!(&body[start..start + 6], b"FRAME\n");
            let luma = &body[start + 6..start + 6 + VIDEO_WIDTH * VIDEO_HEIGHT];
            let marker =
                read_luma(luma, VIDEO_WIDTH, VIDEO_WIDTH, VIDEO_HEIGHT).expect("marker reads");
            assert_eq!(marker.tag, tag_of("alice"));
            assert_eq!(marker.number as usize, n + 1);
        }
        let wav = std::fs::read(&files.audio).expect("wav");
        assert_eq!(&wav[..4], b"RIFF");
        assert_eq!(&wav[8..16], b"WAVEfmt ");
        assert_eq!(wav.len(), 44 + AUDIO_RATE as usize * 2);
        let samples: Vec<i16> = wav[44..]
            .chunks_exact(2)
            .map(|b| i16::from_le_bytes([b[0], b[1]]))
            .collect();
        // Any 20 ms of the loop, including across its end, is the user's tone.
        let mut across = samples[samples.len() - 480..].to_vec();
        across.extend_from_slice(&samples[..480]);
        for window in [&samples[..960], &samples[12_345..13_305], &across[..]] {
            assert_eq!(
                detect_tone(window, AUDIO_RATE),
                Some(tone_hz(tag_of("alice")))
            );
        }
        let _ = std::fs::remove_dir_all(&dir);
    }
}
