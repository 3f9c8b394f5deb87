//! The durable queue's storage: a bounded append-only log on disk, in
//! segment files, with one writer (the exporter's intake) and one reader
//! (its delivery).
//!
//! Written by hand rather than taken from a crate: the queue needs a
//! checksum per record to find and cut off a damaged tail after a crash,
//! a size bound enforced before a batch is acknowledged, group commit
//! (one fsync for several batches), and space given back by deleting
//! whole segments once delivered. `queue-file` has no checksums, `yaque`
//! has been unmaintained since 2022, and embedded key-value stores
//! (`redb`, `fjall`, `sled`) add a B-tree or compaction — write
//! amplification a FIFO does not need. Vector's disk buffer is a log of
//! this shape, written for the same reasons.
//!
//! ```text
//! <dir>/lock                      held (flock) while a process uses the queue
//! <dir>/00000000000000000007.seg  frames (see frame.rs), oldest segment first
//! <dir>/cursor                    segment id · offset of the next undelivered frame · CRC
//! ```
//!
//! The writer appends frames, then [`LogWriter::sync`] fsyncs and publishes
//! them to the reader; only published frames are read or survive a crash
//! by design. The reader persists its cursor after each delivery (without
//! fsync: a stale cursor after power loss means records delivered twice,
//! never lost). Opening a log checks every undelivered frame and truncates
//! at the first damaged one, reporting what it discarded.

use std::collections::VecDeque;
use std::fs::{File, OpenOptions};
use std::io::{self, Read};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::Duration;

use super::frame::{self, Entry, HEADER, Header};

/// How a log is kept.
#[derive(Clone, Copy, Debug)]
pub struct Options {
    /// Upper bound on the bytes of all segments.
    pub max_bytes: u64,
    /// Start a new segment when the current one would pass this size.
    pub segment_bytes: u64,
    /// fsync each group of appends before it counts as written.
    pub fsync: bool,
}

/// Why an append was refused.
#[derive(Debug, thiserror::Error)]
pub enum AppendError {
    /// The log is at its size bound: retry once deliveries free space.
    #[error("the queue is full ({used} of {max} bytes)")]
    Full {
        /// Bytes in use.
        used: u64,
        /// The bound.
        max: u64,
    },
    /// The frame could never fit.
    #[error("a batch of {size} bytes is larger than the whole queue ({max} bytes)")]
    TooLarge {
        /// The frame's size.
        size: u64,
        /// The bound.
        max: u64,
    },
    /// The disk said no.
    #[error("writing the queue: {0}")]
    Io(#[from] io::Error),
}

/// Damage found in a segment and cut off.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Damage {
    /// The segment file.
    pub segment: PathBuf,
    /// Where the first bad frame starts.
    pub offset: u64,
    /// Bytes discarded from there on.
    pub discarded: u64,
    /// What was wrong.
    pub reason: String,
}

/// What opening a log found.
#[derive(Debug, Default)]
pub struct Recovered {
    /// Undelivered frames (batches) kept from an earlier run.
    pub frames: u64,
    /// Their records.
    pub records: u64,
    /// Damaged tails cut off.
    pub damage: Vec<Damage>,
}

/// Counts of what waits in the log.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Depth {
    /// Published, undelivered frames.
    pub frames: u64,
    /// Their records.
    pub records: u64,
    /// Bytes of all segments on disk (delivered frames in the oldest
    /// segment count until it is deleted).
    pub bytes: u64,
}

/// What the reader finds next.
#[derive(Debug)]
pub enum Next {
    /// A frame to deliver; [`LogReader::commit`] it once delivered.
    Entry(Entry),
    /// A damaged frame: the rest of its segment was skipped.
    Damaged(Damage),
    /// Nothing yet (the wait timed out).
    Empty,
    /// The writer has closed and everything was delivered.
    Closed,
}

#[derive(Debug)]
struct Segment {
    id: u64,
    /// Published bytes.
    len: u64,
}

#[derive(Debug)]
struct State {
    /// Oldest first; the last is the writer's.
    segments: VecDeque<Segment>,
    /// Bytes on disk, plus bytes written but not yet published.
    used: u64,
    depth: Depth,
    closed: bool,
}

#[derive(Debug)]
struct Shared {
    dir: PathBuf,
    options: Options,
    state: Mutex<State>,
    changed: Condvar,
    /// Held for the log's lifetime so no second process opens it.
    _lock: File,
}

impl Shared {
    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().expect("queue log lock")
    }

    fn segment_path(&self, id: u64) -> PathBuf {
        segment_path(&self.dir, id)
    }
}

fn segment_path(dir: &Path, id: u64) -> PathBuf {
    dir.join(format!("{id:020}.seg"))
}

/// The appending end.
#[derive(Debug)]
pub struct LogWriter {
    shared: Arc<Shared>,
    file: File,
    id: u64,
    /// Bytes written to the current segment.
    len: u64,
    /// Bytes of it the reader may see.
    published: u64,
    unpublished: Depth,
}

/// The delivering end.
#[derive(Debug)]
pub struct LogReader {
    shared: Arc<Shared>,
    segment: u64,
    offset: u64,
    file: Option<(u64, File)>,
    cursor: File,
    /// Length and records of the frame handed out and not yet committed.
    current: Option<(u64, u32)>,
}

/// Opens (creating if needed) the log in `dir`, checks what an earlier run
/// left, and returns its two ends.
pub fn open(dir: &Path, options: Options) -> io::Result<(LogWriter, LogReader, Recovered)> {
    std::fs::create_dir_all(dir)?;
    let lock = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(dir.join("lock"))?;
    if let Err(error) = lock.try_lock() {
        return Err(io::Error::new(
            io::ErrorKind::WouldBlock,
            format!(
                "{} is in use by another weir process ({error:?})",
                dir.display()
            ),
        ));
    }

    let mut ids = segment_ids(dir)?;
    let cursor_path = dir.join("cursor");
    let (mut read_id, mut read_offset) = read_cursor(&cursor_path).unwrap_or((0, 0));
    // Segments before the cursor's were delivered: a crash came between
    // moving the cursor and deleting them.
    for id in ids.iter().filter(|id| **id < read_id) {
        std::fs::remove_file(segment_path(dir, *id))?;
    }
    ids.retain(|id| *id >= read_id);
    if ids.first() != Some(&read_id) {
        // The cursor's segment is gone (or there was no cursor): start at
        // the oldest one left, from its beginning.
        read_id = ids.first().copied().unwrap_or(1);
        read_offset = 0;
    }

    let mut recovered = Recovered::default();
    let mut segments = VecDeque::new();
    let mut used = 0;
    for &id in &ids {
        let start = if id == read_id { read_offset } else { 0 };
        let (len, scan) = check_segment(&segment_path(dir, id), start)?;
        recovered.frames += scan.frames;
        recovered.records += scan.records;
        recovered.damage.extend(scan.damage);
        if id == read_id && read_offset > len {
            read_offset = len;
        }
        used += len;
        segments.push_back(Segment { id, len });
    }

    // The writer always starts a new segment: nothing is ever appended
    // after a tail an earlier run left.
    let write_id = ids.last().map_or(read_id, |last| last + 1);
    let file = create_segment(dir, write_id)?;
    segments.push_back(Segment {
        id: write_id,
        len: 0,
    });

    let shared = Arc::new(Shared {
        dir: dir.to_path_buf(),
        options,
        state: Mutex::new(State {
            segments,
            used,
            depth: Depth {
                frames: recovered.frames,
                records: recovered.records,
                bytes: used,
            },
            closed: false,
        }),
        changed: Condvar::new(),
        _lock: lock,
    });
    let cursor = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&cursor_path)?;
    let reader = LogReader {
        shared: shared.clone(),
        segment: read_id,
        offset: read_offset,
        file: None,
        cursor,
        current: None,
    };
    reader.save_cursor()?;
    let writer = LogWriter {
        shared,
        file,
        id: write_id,
        len: 0,
        published: 0,
        unpublished: Depth::default(),
    };
    Ok((writer, reader, recovered))
}

fn segment_ids(dir: &Path) -> io::Result<Vec<u64>> {
    let mut ids = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let name = entry?.file_name();
        let Some(name) = name.to_str() else { continue };
        if let Some(id) = name
            .strip_suffix(".seg")
            .and_then(|n| n.parse::<u64>().ok())
        {
            ids.push(id);
        }
    }
    ids.sort_unstable();
    Ok(ids)
}

fn create_segment(dir: &Path, id: u64) -> io::Result<File> {
    let file = OpenOptions::new()
        .create(true)
        .truncate(true)
        .write(true)
        .read(true)
        .open(segment_path(dir, id))?;
    // The new name must survive a crash as well as the frames in it.
    File::open(dir)?.sync_all()?;
    Ok(file)
}

const CURSOR_LEN: usize = 20;

fn read_cursor(path: &Path) -> Option<(u64, u64)> {
    let bytes = std::fs::read(path).ok()?;
    let bytes: &[u8; CURSOR_LEN] = bytes.get(..CURSOR_LEN)?.try_into().ok()?;
    let crc = u32::from_le_bytes(bytes[16..].try_into().ok()?);
    (crc32fast::hash(&bytes[..16]) == crc).then(|| {
        (
            u64::from_le_bytes(bytes[..8].try_into().expect("8 bytes")),
            u64::from_le_bytes(bytes[8..16].try_into().expect("8 bytes")),
        )
    })
}

#[derive(Default)]
struct Scan {
    frames: u64,
    records: u64,
    damage: Option<Damage>,
}

/// Checks the frames of a segment from `start`; cuts the file at the
/// first damaged one. Returns the segment's (new) length.
fn check_segment(path: &Path, start: u64) -> io::Result<(u64, Scan)> {
    let file = OpenOptions::new().read(true).write(true).open(path)?;
    let file_len = file.metadata()?.len();
    let mut reader = io::BufReader::with_capacity(1 << 20, &file);
    io::Seek::seek(&mut reader, io::SeekFrom::Start(start.min(file_len)))?;
    let mut scan = Scan::default();
    let mut offset = start.min(file_len);
    while offset < file_len {
        match read_frame(&mut reader, file_len - offset) {
            Ok((len, entry)) => {
                scan.frames += 1;
                scan.records += u64::from(entry.records);
                offset += len;
            }
            Err(reason) => {
                scan.damage = Some(Damage {
                    segment: path.to_path_buf(),
                    offset,
                    discarded: file_len - offset,
                    reason,
                });
                file.set_len(offset)?;
                file.sync_all()?;
                break;
            }
        }
    }
    Ok((offset, scan))
}

/// Reads one frame from `from`, of which `left` bytes remain.
fn read_frame(from: &mut impl Read, left: u64) -> Result<(u64, Entry), String> {
    if left < HEADER as u64 {
        return Err(format!("{left} bytes, too few for a frame header"));
    }
    let mut header = [0; HEADER];
    from.read_exact(&mut header).map_err(|e| e.to_string())?;
    let header = Header::parse(&header).ok_or("not a frame header")?;
    if header.frame_len() > left {
        return Err(format!(
            "frame of {} bytes cut short at {left}",
            header.frame_len()
        ));
    }
    let mut body = vec![0; header.body_len as usize];
    from.read_exact(&mut body).map_err(|e| e.to_string())?;
    let entry = frame::check(header, body)?;
    Ok((header.frame_len(), entry))
}

impl LogWriter {
    /// Appends one frame of `records` records. It is not durable, nor
    /// visible to the reader, until [`sync`](Self::sync).
    pub fn append(&mut self, frame: &[u8], records: u32) -> Result<(), AppendError> {
        let size = frame.len() as u64;
        let options = self.shared.options;
        if size > options.max_bytes {
            return Err(AppendError::TooLarge {
                size,
                max: options.max_bytes,
            });
        }
        {
            let mut state = self.shared.state();
            if state.used + size > options.max_bytes {
                return Err(AppendError::Full {
                    used: state.used,
                    max: options.max_bytes,
                });
            }
            state.used += size;
        }
        let written = (|| {
            if self.len > 0 && self.len + size > options.segment_bytes {
                self.rotate()?;
            }
            self.file.write_all_at(frame, self.len)
        })();
        if let Err(error) = written {
            self.shared.state().used -= size;
            return Err(error.into());
        }
        self.len += size;
        self.unpublished.frames += 1;
        self.unpublished.records += u64::from(records);
        self.unpublished.bytes += size;
        Ok(())
    }

    /// Makes every appended frame durable (fsync, if configured) and
    /// visible to the reader. On failure the unsynced frames are removed
    /// again: none of them counts as written.
    pub fn sync(&mut self) -> io::Result<()> {
        if self.len == self.published {
            return Ok(());
        }
        if self.shared.options.fsync
            && let Err(error) = self.file.sync_data()
        {
            let _ = self.file.set_len(self.published);
            self.len = self.published;
            self.shared.state().used -= self.unpublished.bytes;
            self.unpublished = Depth::default();
            return Err(error);
        }
        let mut state = self.shared.state();
        if let Some(segment) = state.segments.iter_mut().rev().find(|s| s.id == self.id) {
            segment.len = self.len;
        }
        state.depth.frames += self.unpublished.frames;
        state.depth.records += self.unpublished.records;
        state.depth.bytes = state.used;
        drop(state);
        self.published = self.len;
        self.unpublished = Depth::default();
        self.shared.changed.notify_all();
        Ok(())
    }

    fn rotate(&mut self) -> io::Result<()> {
        self.sync()?;
        let id = self.id + 1;
        self.file = create_segment(&self.shared.dir, id)?;
        self.id = id;
        self.len = 0;
        self.published = 0;
        self.shared
            .state()
            .segments
            .push_back(Segment { id, len: 0 });
        Ok(())
    }

    /// What waits in the log.
    pub fn depth(&self) -> Depth {
        self.shared.state().depth
    }
}

impl Drop for LogWriter {
    /// Closing the writer tells the reader that nothing more will come.
    fn drop(&mut self) {
        if let Err(error) = self.sync() {
            tracing::error!(%error, "queue log: the last appends could not be synced");
        }
        self.shared.state().closed = true;
        self.shared.changed.notify_all();
    }
}

impl LogReader {
    /// The next undelivered frame, waiting up to `wait` for one. Until it
    /// is committed, the same frame is returned again.
    pub fn next(&mut self, wait: Duration) -> io::Result<Next> {
        let deadline = std::time::Instant::now() + wait;
        let mut state = self.shared.state();
        loop {
            let position = state.segments.iter().position(|s| s.id == self.segment);
            let Some(index) = position else {
                // Cannot happen: segments are only deleted behind the
                // reader. Start again at the oldest.
                self.segment = state.segments.front().map_or(self.segment, |s| s.id);
                self.offset = 0;
                continue;
            };
            let len = state.segments[index].len;
            if self.offset < len {
                drop(state);
                return self.read(len);
            }
            if index + 1 < state.segments.len() {
                // Sealed and fully delivered: move on, then delete it.
                let done = state.segments.remove(index).expect("index is in range");
                state.used -= done.len;
                state.depth.bytes = state.used;
                self.segment = state.segments[index].id;
                self.offset = 0;
                self.save_cursor()?;
                std::fs::remove_file(self.shared.segment_path(done.id))?;
                continue;
            }
            if state.closed {
                return Ok(Next::Closed);
            }
            let now = std::time::Instant::now();
            if now >= deadline {
                return Ok(Next::Empty);
            }
            state = self
                .shared
                .changed
                .wait_timeout(state, deadline - now)
                .expect("queue log lock")
                .0;
        }
    }

    fn read(&mut self, segment_len: u64) -> io::Result<Next> {
        if self.file.as_ref().is_none_or(|(id, _)| *id != self.segment) {
            let file = File::open(self.shared.segment_path(self.segment))?;
            self.file = Some((self.segment, file));
        }
        let (_, file) = self.file.as_ref().expect("opened above");
        let left = segment_len - self.offset;
        let mut at = PositionedReader {
            file,
            offset: self.offset,
        };
        match read_frame(&mut at, left) {
            Ok((len, entry)) => {
                self.current = Some((len, entry.records));
                Ok(Next::Entry(entry))
            }
            Err(reason) => {
                // Damaged after it was written and checked (the disk
                // itself): nothing after it in this segment can be
                // trusted to start at a frame.
                let damage = Damage {
                    segment: self.shared.segment_path(self.segment),
                    offset: self.offset,
                    discarded: left,
                    reason,
                };
                let mut state = self.shared.state();
                if let Some(s) = state.segments.iter_mut().find(|s| s.id == self.segment) {
                    s.len = self.offset;
                }
                // Its records are unknown; the frame counts stay an
                // estimate until the next start recounts them.
                state.depth.frames = state.depth.frames.saturating_sub(1);
                Ok(Next::Damaged(damage))
            }
        }
    }

    /// Marks the frame last returned by [`next`](Self::next) delivered.
    pub fn commit(&mut self) -> io::Result<()> {
        let Some((len, records)) = self.current.take() else {
            return Ok(());
        };
        self.offset += len;
        {
            let mut state = self.shared.state();
            state.depth.frames = state.depth.frames.saturating_sub(1);
            state.depth.records = state.depth.records.saturating_sub(u64::from(records));
        }
        self.save_cursor()
    }

    /// Waits up to `wait` for the writer to close; whether it has.
    pub fn wait_closed(&self, wait: Duration) -> bool {
        let state = self.shared.state();
        let (state, _) = self
            .shared
            .changed
            .wait_timeout_while(state, wait, |s| !s.closed)
            .expect("queue log lock");
        state.closed
    }

    /// Whether the writer has closed.
    pub fn is_closed(&self) -> bool {
        self.shared.state().closed
    }

    /// What waits in the log.
    pub fn depth(&self) -> Depth {
        self.shared.state().depth
    }

    fn save_cursor(&self) -> io::Result<()> {
        let mut bytes = [0; CURSOR_LEN];
        bytes[..8].copy_from_slice(&self.segment.to_le_bytes());
        bytes[8..16].copy_from_slice(&self.offset.to_le_bytes());
        let crc = crc32fast::hash(&bytes[..16]);
        bytes[16..].copy_from_slice(&crc.to_le_bytes());
        self.cursor.write_all_at(&bytes, 0)
    }
}

/// `Read` at a position, without moving a shared file offset.
struct PositionedReader<'a> {
    file: &'a File,
    offset: u64,
}

impl Read for PositionedReader<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.file.read_at(buf, self.offset)?;
        self.offset += n as u64;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::otlp::logs::{LogRecord, ResourceLogs, ScopeLogs};
    use crate::otlp::{Batch, ExportLogsServiceRequest};

    fn batch(first: u64, n: u64) -> Batch {
        ExportLogsServiceRequest {
            resource_logs: vec![ResourceLogs {
                scope_logs: vec![ScopeLogs {
                    log_records: (first..first + n)
                        // Never 0, which protobuf leaves out: equal
                        // record counts make equal frame sizes.
                        .map(|t| LogRecord {
                            time_unix_nano: t + 1,
                            ..Default::default()
                        })
                        .collect(),
                    ..Default::default()
                }],
                ..Default::default()
            }],
        }
        .into()
    }

    fn options(max_bytes: u64) -> Options {
        Options {
            max_bytes,
            segment_bytes: 4096,
            fsync: true,
        }
    }

    fn put(writer: &mut LogWriter, first: u64, n: u64) {
        let b = batch(first, n);
        writer.append(&frame::encode(&b), n as u32).unwrap();
    }

    /// Every record time delivered, committing each frame.
    fn drain(reader: &mut LogReader) -> Vec<u64> {
        let mut times = Vec::new();
        loop {
            match reader.next(Duration::ZERO).unwrap() {
                Next::Entry(entry) => {
                    let b = Batch::decode(entry.signal, &entry.request).unwrap();
                    times.extend((0..b.len() as u32).map(|i| b.log(i).unwrap().time_unix_nano - 1));
                    reader.commit().unwrap();
                }
                Next::Damaged(d) => panic!("damage: {d:?}"),
                Next::Empty | Next::Closed => return times,
            }
        }
    }

    #[test]
    fn frames_are_read_in_order_across_segments_and_delivered_segments_are_deleted() {
        let dir = tempfile::tempdir().unwrap();
        let (mut writer, mut reader, recovered) = open(dir.path(), options(1 << 20)).unwrap();
        assert_eq!(recovered.frames, 0);
        put(&mut writer, 0, 10);
        assert!(
            matches!(reader.next(Duration::ZERO).unwrap(), Next::Empty),
            "unsynced is invisible"
        );
        for i in 1..100 {
            put(&mut writer, i * 10, 10);
        }
        writer.sync().unwrap();
        assert_eq!(writer.depth().records, 1000);
        assert!(
            segment_ids(dir.path()).unwrap().len() > 3,
            "small segments rotate"
        );
        let times = drain(&mut reader);
        assert_eq!(times, (0..1000).collect::<Vec<_>>());
        assert_eq!(
            segment_ids(dir.path()).unwrap().len(),
            1,
            "only the writer's is left"
        );
        assert_eq!(reader.depth().records, 0);
        drop(writer);
        assert!(matches!(reader.next(Duration::ZERO).unwrap(), Next::Closed));
    }

    #[test]
    fn undelivered_frames_survive_a_restart_and_delivered_ones_do_not_return() {
        let dir = tempfile::tempdir().unwrap();
        {
            let (mut writer, mut reader, _) = open(dir.path(), options(1 << 20)).unwrap();
            for i in 0..10 {
                put(&mut writer, i * 10, 10);
            }
            writer.sync().unwrap();
            for _ in 0..4 {
                assert!(matches!(
                    reader.next(Duration::ZERO).unwrap(),
                    Next::Entry(_)
                ));
                reader.commit().unwrap();
            }
            // The fifth is handed out but not committed: as if weir died
            // while exporting it.
            assert!(matches!(
                reader.next(Duration::ZERO).unwrap(),
                Next::Entry(_)
            ));
        }
        let (_writer, mut reader, recovered) = open(dir.path(), options(1 << 20)).unwrap();
        let times = drain(&mut reader);
        assert_eq!(times[0], 40, "redelivery starts at the uncommitted frame");
        assert!(times.starts_with(&(40..100).collect::<Vec<_>>()));
        assert!(recovered.frames >= 6);
    }

    #[test]
    fn the_size_bound_refuses_until_deliveries_free_space() {
        let dir = tempfile::tempdir().unwrap();
        let frame_len = frame::encode(&batch(0, 10)).len() as u64;
        let (mut writer, mut reader, _) = open(
            dir.path(),
            Options {
                max_bytes: frame_len * 3,
                segment_bytes: frame_len,
                fsync: false,
            },
        )
        .unwrap();
        for i in 0..3 {
            put(&mut writer, i, 10);
        }
        let full = writer
            .append(&frame::encode(&batch(0, 10)), 10)
            .unwrap_err();
        assert!(matches!(full, AppendError::Full { .. }), "{full}");
        writer.sync().unwrap();
        // Delivering the first frame seals nothing yet; its segment goes
        // once the reader moves past it.
        drain(&mut reader);
        put(&mut writer, 3, 10);
        let huge = writer
            .append(&vec![0; (frame_len * 4) as usize], 1)
            .unwrap_err();
        assert!(matches!(huge, AppendError::TooLarge { .. }), "{huge}");
    }

    #[test]
    fn a_damaged_tail_is_cut_off_and_reported_and_the_rest_delivered() {
        let dir = tempfile::tempdir().unwrap();
        {
            let (mut writer, _reader, _) = open(
                dir.path(),
                Options {
                    segment_bytes: 1 << 20,
                    ..options(1 << 20)
                },
            )
            .unwrap();
            for i in 0..5 {
                put(&mut writer, i * 10, 10);
            }
            writer.sync().unwrap();
        }
        let seg = segment_path(dir.path(), segment_ids(dir.path()).unwrap()[0]);
        let bytes = std::fs::read(&seg).unwrap();
        let frame_len = bytes.len() / 5;
        // Flip a byte in the fourth frame, and add a torn half-frame.
        let mut damaged = bytes.clone();
        damaged[3 * frame_len + 20] ^= 0xff;
        std::fs::write(&seg, &damaged).unwrap();
        let (_writer, mut reader, recovered) = open(dir.path(), options(1 << 20)).unwrap();
        assert_eq!(recovered.frames, 3);
        assert_eq!(recovered.damage.len(), 1);
        let damage = &recovered.damage[0];
        assert_eq!(damage.offset, 3 * frame_len as u64);
        assert_eq!(damage.discarded, 2 * frame_len as u64);
        assert_eq!(damage.reason, "checksum mismatch");
        assert_eq!(drain(&mut reader), (0..30).collect::<Vec<_>>());

        // A file cut mid-frame: the whole frames before it are kept.
        drop((_writer, reader));
        let dir = tempfile::tempdir().unwrap();
        {
            let (mut writer, _reader, _) = open(dir.path(), options(1 << 20)).unwrap();
            for i in 0..2 {
                put(&mut writer, i * 10, 10);
            }
            writer.sync().unwrap();
        }
        let seg = segment_path(dir.path(), segment_ids(dir.path()).unwrap()[0]);
        let bytes = std::fs::read(&seg).unwrap();
        std::fs::write(&seg, &bytes[..bytes.len() - 7]).unwrap();
        let (_writer, mut reader, recovered) = open(dir.path(), options(1 << 20)).unwrap();
        assert!(
            recovered.damage[0].reason.contains("cut short"),
            "{:?}",
            recovered.damage
        );
        assert_eq!(drain(&mut reader), (0..10).collect::<Vec<_>>());
    }

    #[test]
    fn a_second_process_cannot_open_the_same_log() {
        let dir = tempfile::tempdir().unwrap();
        let _first = open(dir.path(), options(1 << 20)).unwrap();
        let second = open(dir.path(), options(1 << 20)).unwrap_err();
        assert!(second.to_string().contains("in use"), "{second}");
    }
}
