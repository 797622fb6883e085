//! Reads CloudTrail as it is delivered, one record at a time: `{"Records": [...]}` files (S3
//! delivery, plain or `.gz`), JSON Lines (one record or EventBridge event per line), a single
//! EventBridge event or record, and a top-level array of records.
//!
//! Files up to [`ReadOptions::max_in_memory`] are read (and inflated) whole and their records
//! parsed in place, borrowing strings from the buffer; larger ones are streamed through a
//! buffered reader, one record in memory at a time, so memory stays bounded whatever the
//! size of a file. Either way each record is first taken as raw JSON and then decoded on its
//! own, so one record of the wrong shape costs a warning, not the file. A file cut short (a
//! truncated `.gz`, an unfinished array) yields the records before the cut and a warning
//! naming the file and the record.
//!
//! The top-level structure is walked with a serde `Visitor` rather than `from_slice::<Value>`
//! because a CloudTrail file can be gigabytes: only the `Records` array is read element by
//! element, everything else is skipped.

use std::fmt;
use std::fs::File;
use std::io::{BufReader, Read, Seek, SeekFrom};
use std::marker::PhantomData;
use std::path::Path;

use flate2::read::MultiGzDecoder;
use serde::de::{DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::value::RawValue;

/// Reading limits.
#[derive(Debug, Clone, Copy)]
pub struct ReadOptions {
    /// Larger files (inflated size, for `.gz`) are streamed.
    pub max_in_memory: u64,
    /// Warnings per file before the rest are only counted.
    pub max_warnings_per_file: usize,
    /// Bytes read at a time from a streamed file.
    pub stream_chunk: usize,
}

impl Default for ReadOptions {
    fn default() -> Self {
        ReadOptions {
            max_in_memory: 64 * 1024 * 1024,
            max_warnings_per_file: 20,
            stream_chunk: 16 * 1024 * 1024,
        }
    }
}

/// A problem in one file, at a record (1-based) when there is one. Messages never quote the
/// file's content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadProblem {
    pub record: Option<usize>,
    pub message: String,
}

/// What reading one file produced besides its records.
#[derive(Debug, Default)]
pub struct FileReport {
    pub bytes_on_disk: u64,
    pub bytes_read: u64,
    pub records: u64,
    pub problems: Vec<ReadProblem>,
    /// Problems beyond the per-file cap.
    pub problems_not_shown: u64,
    pub streamed: bool,
}

impl FileReport {
    fn problem(&mut self, limit: usize, record: Option<usize>, message: impl Into<String>) {
        if self.problems.len() < limit {
            self.problems.push(ReadProblem {
                record,
                message: message.into(),
            });
        } else {
            self.problems_not_shown += 1;
        }
    }
}

/// What a record handler is given: the record's raw JSON text and its 1-based position.
pub trait RecordSink {
    /// Whether the record's bytes may hold anything the handler reads (a cheap substring
    /// test): records it does not want are counted, not parsed.
    fn wants(&self, _record: &[u8]) -> bool {
        true
    }

    /// Returns a problem to report, if the record cannot be used.
    fn record(&mut self, json: &str, position: usize) -> Option<String>;
}

impl<F: FnMut(&str, usize) -> Option<String>> RecordSink for F {
    fn record(&mut self, json: &str, position: usize) -> Option<String> {
        self(json, position)
    }
}

/// A serde error's position and class, without the text it may quote.
fn describe(error: &serde_json::Error) -> String {
    use serde_json::error::Category;
    let what = match error.classify() {
        Category::Eof => "the JSON ends early (cut off?)",
        Category::Syntax => "not valid JSON",
        Category::Data => "a value of an unexpected type",
        Category::Io => "a read error",
    };
    format!("{what} at line {} column {}", error.line(), error.column())
}

const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];

/// Reads every record of `path`, handing each to `sink`.
pub fn read_file(path: &Path, options: &ReadOptions, sink: &mut dyn RecordSink) -> FileReport {
    let mut report = FileReport::default();
    let limit = options.max_warnings_per_file;
    let mut file = match File::open(path) {
        Ok(file) => file,
        Err(error) => {
            report.problem(limit, None, format!("cannot open: {error}"));
            return report;
        }
    };
    report.bytes_on_disk = file.metadata().map(|m| m.len()).unwrap_or(0);
    let mut magic = [0u8; 2];
    let gzip = match file.read(&mut magic) {
        Ok(2) => magic == GZIP_MAGIC,
        Ok(_) => false,
        Err(error) => {
            report.problem(limit, None, format!("cannot read: {error}"));
            return report;
        }
    };
    // The file from its start, inflated when it is gzip.
    let from_start = |file: File| -> Box<dyn Read> {
        if gzip {
            Box::new(MultiGzDecoder::new(BufReader::with_capacity(
                256 * 1024,
                file,
            )))
        } else {
            Box::new(file)
        }
    };
    let open = || -> std::io::Result<Box<dyn Read>> { Ok(from_start(File::open(path)?)) };
    // The file already open, rewound: one `open` per file rather than two (a path lookup
    // each, on trees of tens of thousands of files). What cannot be rewound is opened again.
    let rewound = match file.seek(SeekFrom::Start(0)) {
        Ok(_) => Ok(from_start(file)),
        Err(_) => open(),
    };
    let mut source = match rewound {
        Ok(source) => source,
        Err(error) => {
            report.problem(limit, None, format!("cannot open: {error}"));
            return report;
        }
    };
    // Read up to the in-memory limit; more than that is streamed from the start again.
    let mut buffer = BUFFER.with(|b| std::mem::take(&mut *b.borrow_mut()));
    let hint = if gzip {
        (report.bytes_on_disk.saturating_mul(12)).min(options.max_in_memory) as usize
    } else {
        report.bytes_on_disk.min(options.max_in_memory) as usize + 1
    };
    let (filled, error) = read_up_to(
        source.as_mut(),
        &mut buffer,
        options.max_in_memory.saturating_add(1),
        hint,
    );
    drop(source);
    let cut: Option<String> = error.map(|error| {
        if gzip {
            format!(
                "the gzip stream is damaged or cut off after {filled} bytes: {error}; reading the records before"
            )
        } else {
            format!("read error after {filled} bytes: {error}")
        }
    });
    if filled as u64 > options.max_in_memory {
        drop(buffer);
        report.streamed = true;
        let source = match open() {
            Ok(source) => source,
            Err(error) => {
                report.problem(limit, None, format!("cannot open: {error}"));
                return report;
            }
        };
        let mut counting = CountingReader {
            inner: source,
            count: 0,
        };
        stream_file(
            &mut counting,
            options.stream_chunk,
            gzip,
            &mut report,
            limit,
            sink,
        );
        report.bytes_read = counting.count;
        return report;
    }
    if let Some(message) = cut {
        report.problem(limit, None, message);
    }
    report.bytes_read = filled as u64;
    slice_records(&buffer[..filled], &mut report, limit, sink);
    if buffer.len() <= KEPT_BUFFER {
        BUFFER.with(|b| *b.borrow_mut() = buffer);
    }
    report
}

thread_local! {
    /// Each reading thread's buffer, kept from file to file: `read_to_end` into a fresh `Vec`
    /// zeroes (and faults in) every byte before a decoder that has no `read_buf` writes it,
    /// once per file; a kept buffer is zeroed once per thread. Its bytes past what a file
    /// filled are stale and never read.
    static BUFFER: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// A buffer larger than this is not kept for the next file (the memory of a few large files
/// is returned rather than held by every thread).
const KEPT_BUFFER: usize = 16 * 1024 * 1024;

/// Reads `source` into `buffer` from its start until the input ends or `cap` bytes are read
/// (what `take(cap).read_to_end` reads), growing `buffer` (towards `hint` first) as needed:
/// the bytes read, and the error that stopped the reading, if one did.
fn read_up_to(
    source: &mut dyn Read,
    buffer: &mut Vec<u8>,
    cap: u64,
    hint: usize,
) -> (usize, Option<std::io::Error>) {
    let cap = usize::try_from(cap).unwrap_or(usize::MAX);
    let mut filled = 0;
    while filled < cap {
        if filled == buffer.len() {
            let grown = hint.max(filled.saturating_mul(2)).max(64 * 1024).min(cap);
            buffer.resize(grown, 0);
        }
        let end = buffer.len().min(cap);
        match source.read(&mut buffer[filled..end]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(error) if error.kind() == std::io::ErrorKind::Interrupted => {}
            Err(error) => return (filled, Some(error)),
        }
    }
    (filled, None)
}

/// Reads the records of a file's bytes already in memory (inflated): what [`read_file`] does
/// with a file up to the in-memory limit. For fuzzing, and for callers that hold the bytes.
pub fn read_bytes(bytes: &[u8], options: &ReadOptions, sink: &mut dyn RecordSink) -> FileReport {
    let mut report = FileReport {
        bytes_on_disk: bytes.len() as u64,
        bytes_read: bytes.len() as u64,
        ..FileReport::default()
    };
    slice_records(bytes, &mut report, options.max_warnings_per_file, sink);
    report
}

struct CountingReader<R> {
    inner: R,
    count: u64,
}

impl<R: Read> Read for CountingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count += n as u64;
        Ok(n)
    }
}

fn skip_bom_and_space(bytes: &[u8]) -> &[u8] {
    let bytes = bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(bytes);
    let start = bytes
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(bytes.len());
    &bytes[start..]
}

/// Whether the text is JSON Lines: more than one line, the first a whole JSON value.
fn is_json_lines(bytes: &[u8]) -> bool {
    let Some(end) = memchr_newline(bytes) else {
        return false;
    };
    if skip_bom_and_space(&bytes[end..]).is_empty() {
        return false;
    }
    serde_json::from_slice::<IgnoredAny>(&bytes[..end]).is_ok()
}

fn memchr_newline(bytes: &[u8]) -> Option<usize> {
    memchr::memchr(b'\n', bytes)
}

fn slice_records(bytes: &[u8], report: &mut FileReport, limit: usize, sink: &mut dyn RecordSink) {
    let text = skip_bom_and_space(bytes);
    if text.is_empty() {
        report.problem(limit, None, "empty file: no CloudTrail records");
        return;
    }
    if !matches!(text[0], b'{' | b'[') {
        report.problem(limit, None, "not JSON: no CloudTrail records read");
        return;
    }
    if let Some(records) = text.strip_prefix(DELIVERY_PREFIX) {
        split_records(records, report, limit, sink);
        return;
    }
    if is_json_lines(text) {
        for (index, line) in text.split(|b| *b == b'\n').enumerate() {
            let line = skip_bom_and_space(line);
            if line.is_empty() {
                continue;
            }
            let position = index + 1;
            report.records += 1;
            // Records no detection reads are not parsed, but a line that is not even an
            // object is reported: a log forwarder's banner, a truncated write.
            if line[0] != b'{' {
                report.problem(
                    limit,
                    Some(position),
                    format!("line {position}: not valid JSON (not an object)"),
                );
                continue;
            }
            if !sink.wants(line) {
                continue;
            }
            match std::str::from_utf8(line) {
                Ok(json) => match serde_json::from_str::<&RawValue>(json.trim_end()) {
                    Ok(raw) => {
                        if let Some(problem) = sink.record(raw.get(), position) {
                            report.problem(limit, Some(position), problem);
                        }
                    }
                    Err(error) => report.problem(
                        limit,
                        Some(position),
                        format!("line {position}: {}", describe(&error)),
                    ),
                },
                Err(_) => {
                    report.problem(limit, Some(position), format!("line {position}: not UTF-8"))
                }
            }
        }
        return;
    }
    let mut deserializer = serde_json::Deserializer::from_slice(text);
    let Some(saw_records) = walk::<&RawValue, _>(&mut deserializer, report, limit, sink) else {
        return;
    };
    if !saw_records {
        // A single event (a record, or an EventBridge event holding one).
        match std::str::from_utf8(text) {
            Ok(json) => {
                report.records += 1;
                if let Some(problem) = sink.record(json, 1) {
                    report.problem(limit, Some(1), problem);
                }
            }
            Err(_) => report.problem(limit, None, "not UTF-8"),
        }
    }
}

/// How CloudTrail starts every delivery file (compact JSON, `Records` first).
const DELIVERY_PREFIX: &[u8] = b"{\"Records\":[";

/// The end of the JSON object starting at `bytes[0] == b'{'`: the index after its `}`.
///
/// Hand-written rather than serde's `RawValue` because this runs over every byte of every
/// record, and most records (EC2, IAM, S3 ...) are of no interest: braces and quotes are found
/// with `memchr`, strings skipped to their closing quote. It only finds the boundaries; every
/// record a detection reads is then parsed, and validated, by serde_json.
fn object_end(bytes: &[u8]) -> Option<usize> {
    let mut depth = 0usize;
    let mut at = 0;
    loop {
        let offset = memchr::memchr3(b'"', b'{', b'}', &bytes[at..])?;
        at += offset;
        match bytes[at] {
            b'"' => {
                at += 1;
                loop {
                    let offset = memchr::memchr2(b'"', b'\\', &bytes[at..])?;
                    at += offset;
                    if bytes[at] == b'\\' {
                        at += 2;
                        if at > bytes.len() {
                            return None;
                        }
                    } else {
                        at += 1;
                        break;
                    }
                }
            }
            b'{' => {
                depth += 1;
                at += 1;
            }
            _ => {
                depth = depth.checked_sub(1)?;
                at += 1;
                if depth == 0 {
                    return Some(at);
                }
            }
        }
    }
}

/// Where one record of a delivery file ends and the next begins, in CloudTrail's own output:
/// every record starts with `"eventVersion"`. The sequence cannot occur inside a JSON string
/// (a quote there is escaped), so only an object nested in a record that itself starts with
/// that key could fake it.
const RECORD_BOUNDARY: &[u8] = b"},{\"eventVersion\":";

/// The elements of a delivery file's `Records` array, `records` starting after its `[`.
///
/// The fast way: cut at [`RECORD_BOUNDARY`] with one SIMD substring search, and check with
/// [`object_end`] only the records the sink wants (the ones it parses). Where a wanted record
/// does not check out, or the array does not end as CloudTrail ends it, the rest of the file
/// is read the exact way, object by object.
fn split_records(records: &[u8], report: &mut FileReport, limit: usize, sink: &mut dyn RecordSink) {
    split_fast(records, false, report, limit, sink);
}

/// [`split_records`] over `records`; `complete`: `records` is a run of whole records (a
/// streamed chunk cut at a record boundary), without the array's closing `]}`.
fn split_fast(
    records: &[u8],
    complete: bool,
    report: &mut FileReport,
    limit: usize,
    sink: &mut dyn RecordSink,
) {
    if !records.starts_with(&RECORD_BOUNDARY[2..]) {
        return split_exactly(records, 0, complete, report, limit, sink);
    }
    let mut start = 0;
    for hit in BOUNDARY.find_iter(records) {
        let bytes = &records[start..=hit];
        if !take_record(bytes, true, report, limit, sink) {
            return split_exactly(records, start, complete, report, limit, sink);
        }
        start = hit + 2;
    }
    let tail = &records[start..];
    let last = if complete {
        Some(tail)
    } else {
        // The last record, then `]}` and perhaps a newline.
        tail.trim_ascii_end().strip_suffix(b"]}")
    };
    match last {
        Some(last) if take_record(last, true, report, limit, sink) => {}
        _ => split_exactly(records, start, complete, report, limit, sink),
    }
}

static BOUNDARY: std::sync::LazyLock<memchr::memmem::Finder<'static>> =
    std::sync::LazyLock::new(|| memchr::memmem::Finder::new(RECORD_BOUNDARY));

/// A record larger than this is not CloudTrail's (its records are at most a few hundred KB).
const MAX_RECORD: usize = 256 * 1024 * 1024;

/// Reads from `source` until `buffer` holds `target` bytes or the input ends: whether it
/// ended, or the error that stopped it.
fn fill(source: &mut dyn Read, buffer: &mut Vec<u8>, target: usize) -> std::io::Result<bool> {
    let mut chunk = vec![0u8; 1024 * 1024];
    while buffer.len() < target {
        match source.read(&mut chunk) {
            Ok(0) => return Ok(true),
            Ok(n) => buffer.extend_from_slice(&chunk[..n]),
            Err(error) if error.kind() == std::io::ErrorKind::Interrupted => {}
            Err(error) => return Err(error),
        }
    }
    Ok(false)
}

/// A large file, chunk by chunk: a delivery file the fast way, anything else through serde's
/// streaming reader. Memory: two chunks and the largest record.
/// Records are cut out of each chunk the fast way, the unfinished last one carried over to the
/// next.
fn stream_file(
    source: &mut dyn Read,
    chunk: usize,
    gzip: bool,
    report: &mut FileReport,
    limit: usize,
    sink: &mut dyn RecordSink,
) {
    let chunk = chunk.max(64);
    let mut buffer: Vec<u8> = Vec::with_capacity(chunk + chunk / 2);
    let damaged = |report: &mut FileReport, error: std::io::Error, at: u64| {
        let what = if gzip {
            "the gzip stream is damaged or cut off"
        } else {
            "read error"
        };
        report.problem(
            limit,
            None,
            format!("{what} after {at} bytes: {error}; reading the records before"),
        );
    };
    let mut read_so_far = 0u64;
    let mut ended = match fill(source, &mut buffer, chunk) {
        Ok(ended) => ended,
        Err(error) => {
            damaged(report, error, buffer.len() as u64);
            true
        }
    };
    let text_start = buffer.len() - skip_bom_and_space(&buffer).len();
    if !buffer[text_start..].starts_with(DELIVERY_PREFIX) {
        let mut chained = std::io::Cursor::new(buffer).chain(source);
        return stream_records(&mut chained, report, limit, sink);
    }
    let mut start = text_start + DELIVERY_PREFIX.len();
    loop {
        if ended {
            split_records(&buffer[start..], report, limit, sink);
            return;
        }
        if let Some(hit) = memchr::memmem::rfind(&buffer[start..], RECORD_BOUNDARY) {
            split_fast(&buffer[start..=start + hit], true, report, limit, sink);
            start += hit + 2;
        }
        read_so_far += start as u64;
        buffer.drain(..start);
        start = 0;
        if buffer.len() > MAX_RECORD {
            let record = report.records as usize + 1;
            report.problem(
                limit,
                Some(record),
                format!("record {record}: larger than {} MiB: not a CloudTrail record; the records before it were read", MAX_RECORD >> 20),
            );
            return;
        }
        let target = buffer.len() + chunk;
        ended = match fill(source, &mut buffer, target) {
            Ok(ended) => ended,
            Err(error) => {
                damaged(report, error, read_so_far + buffer.len() as u64);
                true
            }
        };
    }
}

/// Hands one record to the sink when it wants it; `false` (nothing counted) when `checked`
/// and the record is not one whole object.
fn take_record(
    bytes: &[u8],
    checked: bool,
    report: &mut FileReport,
    limit: usize,
    sink: &mut dyn RecordSink,
) -> bool {
    let wanted = sink.wants(bytes);
    if wanted && checked && object_end(bytes) != Some(bytes.len()) {
        return false;
    }
    report.records += 1;
    let record = report.records as usize;
    if !wanted {
        return true;
    }
    let problem = match std::str::from_utf8(bytes) {
        Ok(json) => sink.record(json, record),
        Err(_) => Some(format!("record {record}: not UTF-8")),
    };
    if let Some(problem) = problem {
        report.problem(limit, Some(record), problem);
    }
    true
}

/// The elements of a `Records` array from `at` on, object by object.
fn split_exactly(
    records: &[u8],
    mut at: usize,
    complete: bool,
    report: &mut FileReport,
    limit: usize,
    sink: &mut dyn RecordSink,
) {
    // `at` is where a record starts: no separator before it.
    let mut first = true;
    loop {
        while at < records.len() && records[at].is_ascii_whitespace() {
            at += 1;
        }
        let record = report.records as usize + 1;
        match records.get(at) {
            Some(b']') => return,
            Some(b',') if !first => {
                at += 1;
                while at < records.len() && records[at].is_ascii_whitespace() {
                    at += 1;
                }
            }
            None if complete => return,
            None => {
                report.problem(limit, Some(record), format!("record {record}: the JSON ends early (cut off?); the records before it were read"));
                return;
            }
            Some(_) if first => {}
            Some(_) => {
                report.problem(limit, Some(record), format!("record {record}: not valid JSON (no `,` or `]` after the record before); the records before it were read"));
                return;
            }
        }
        first = false;
        if records.get(at) != Some(&b'{') {
            let problem = if at >= records.len() {
                "the JSON ends early (cut off?)"
            } else {
                "not a JSON object"
            };
            report.problem(
                limit,
                Some(record),
                format!("record {record}: {problem}; the records before it were read"),
            );
            return;
        }
        let Some(length) = object_end(&records[at..]) else {
            report.problem(limit, Some(record), format!("record {record}: the JSON ends early (cut off?); the records before it were read"));
            return;
        };
        take_record(&records[at..at + length], false, report, limit, sink);
        at += length;
    }
}

fn stream_records(
    source: &mut dyn Read,
    report: &mut FileReport,
    limit: usize,
    sink: &mut dyn RecordSink,
) {
    let reader = BufReader::with_capacity(1024 * 1024, source);
    let mut deserializer = serde_json::Deserializer::from_reader(reader);
    if walk::<Box<RawValue>, _>(&mut deserializer, report, limit, sink) == Some(false) {
        report.problem(
            limit,
            None,
            "no `Records` array in a file too large to read whole: not a CloudTrail delivery file",
        );
    }
}

/// Walks a whole document; whether it held a `Records` array (or was an array), `None` when
/// it broke off (reported).
fn walk<'de, R: RawRecord<'de>, D>(
    deserializer: D,
    report: &mut FileReport,
    limit: usize,
    sink: &mut dyn RecordSink,
) -> Option<bool>
where
    D: Deserializer<'de, Error = serde_json::Error>,
{
    let mut walker = Walker::<R> {
        sink,
        report,
        limit,
        saw_records: false,
        marker: PhantomData,
    };
    let result = deserializer.deserialize_any(&mut walker);
    let saw_records = walker.saw_records;
    match result {
        Ok(()) => Some(saw_records),
        Err(error) => {
            let record = report.records as usize + 1;
            report.problem(
                limit,
                Some(record),
                format!(
                    "record {record}: {}; the records before it were read",
                    describe(&error)
                ),
            );
            None
        }
    }
}

/// A record as raw JSON, borrowed (`&RawValue`, from a slice) or owned (`Box<RawValue>`,
/// from a reader).
trait RawRecord<'de>: serde::Deserialize<'de> {
    fn json(&self) -> &str;
}

impl<'de> RawRecord<'de> for &'de RawValue {
    fn json(&self) -> &str {
        self.get()
    }
}

impl<'de> RawRecord<'de> for Box<RawValue> {
    fn json(&self) -> &str {
        self.get()
    }
}

/// Walks the top level: a map whose `Records` array is read element by element (other keys
/// skipped), or an array of records.
struct Walker<'s, R> {
    sink: &'s mut dyn RecordSink,
    report: &'s mut FileReport,
    limit: usize,
    saw_records: bool,
    marker: PhantomData<R>,
}

impl<'s, R> Walker<'s, R> {
    fn element(&mut self, record: &str) {
        self.report.records += 1;
        let position = self.report.records as usize;
        if !self.sink.wants(record.as_bytes()) {
            return;
        }
        if let Some(problem) = self.sink.record(record, position) {
            self.report.problem(self.limit, Some(position), problem);
        }
    }
}

impl<'de, R: RawRecord<'de>> Visitor<'de> for &mut Walker<'_, R> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a CloudTrail file")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
            if key == "Records" {
                self.saw_records = true;
                map.next_value_seed(RecordsSeed { walker: &mut *self })?;
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        self.saw_records = true;
        while let Some(record) = seq.next_element::<R>()? {
            self.element(record.json());
        }
        Ok(())
    }
}

struct RecordsSeed<'w, 's, R> {
    walker: &'w mut Walker<'s, R>,
}

impl<'de, R: RawRecord<'de>> DeserializeSeed<'de> for RecordsSeed<'_, '_, R> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_seq(RecordsVisitor {
            walker: self.walker,
        })
    }
}

struct RecordsVisitor<'w, 's, R> {
    walker: &'w mut Walker<'s, R>,
}

impl<'de, R: RawRecord<'de>> Visitor<'de> for RecordsVisitor<'_, '_, R> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the `Records` array")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while let Some(record) = seq.next_element::<R>()? {
            self.walker.element(record.json());
        }
        Ok(())
    }

    fn visit_unit<E: serde::de::Error>(self) -> Result<(), E> {
        // `"Records": null`: an empty delivery.
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn read(bytes: &[u8], options: ReadOptions) -> (Vec<(String, usize)>, FileReport) {
        let dir = tempfile::tempdir().unwrap_or_else(|_| unreachable!());
        let path = dir.path().join("trail.json");
        std::fs::write(&path, bytes).unwrap_or_else(|_| unreachable!());
        let mut seen = Vec::new();
        let mut sink = |json: &str, position: usize| {
            seen.push((json.to_owned(), position));
            None
        };
        let report = read_file(&path, &options, &mut sink);
        (seen, report)
    }

    fn gzip(bytes: &[u8]) -> Vec<u8> {
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        encoder.write_all(bytes).unwrap_or_else(|_| unreachable!());
        encoder.finish().unwrap_or_else(|_| unreachable!())
    }

    const RECORDS: &[u8] = br#"{"Records":[{"eventID":"a"},{"eventID":"b"},{"eventID":"c"}]}"#;

    #[test]
    fn records_files_plain_gzip_and_streamed_read_the_same() {
        let small = ReadOptions::default();
        let tiny = ReadOptions {
            max_in_memory: 8,
            ..ReadOptions::default()
        };
        for (bytes, options) in [
            (RECORDS.to_vec(), small),
            (gzip(RECORDS), small),
            (RECORDS.to_vec(), tiny),
            (gzip(RECORDS), tiny),
        ] {
            let (seen, report) = read(&bytes, options);
            assert_eq!(seen.len(), 3, "{report:?}");
            assert_eq!(seen[2], (r#"{"eventID":"c"}"#.to_owned(), 3));
            assert!(report.problems.is_empty(), "{report:?}");
            assert_eq!(report.streamed, options.max_in_memory == 8);
        }
    }

    #[test]
    fn streamed_delivery_files_are_cut_across_chunks() {
        let mut text = b"{\"Records\":[".to_vec();
        for i in 0..500 {
            if i > 0 {
                text.push(b',');
            }
            text.extend_from_slice(
                format!("{{\"eventVersion\":\"1.08\",\"eventID\":\"e{i}\",\"pad\":\"{:x<i$}\",\"n\":{{\"a\":[{{\"b\":\"}}\\\"{{\"}}]}}}}", "", i = i % 97)
                    .as_bytes(),
            );
        }
        text.extend_from_slice(b"]}\n");
        let whole = read(&text, ReadOptions::default()).0;
        assert_eq!(whole.len(), 500);
        for chunk in [64, 100, 1000, 4096] {
            let options = ReadOptions {
                max_in_memory: 10,
                stream_chunk: chunk,
                ..ReadOptions::default()
            };
            for bytes in [text.clone(), gzip(&text)] {
                let (seen, report) = read(&bytes, options);
                assert!(report.streamed);
                assert!(report.problems.is_empty(), "{chunk}: {report:?}");
                assert_eq!(seen, whole, "chunk {chunk}");
            }
            // Cut off: the records before the cut, and a warning.
            let cut = &text[..text.len() / 2];
            let (seen, report) = read(cut, options);
            assert!(!seen.is_empty() && seen.len() < 500);
            assert_eq!(seen[..], whole[..seen.len()]);
            assert!(
                report
                    .problems
                    .iter()
                    .any(|p| p.message.contains("cut off")),
                "{report:?}"
            );
        }
    }

    #[test]
    fn a_truncated_gzip_yields_the_records_before_the_cut() {
        let mut records = b"{\"Records\":[".to_vec();
        for i in 0..2000 {
            records.extend_from_slice(
                format!("{{\"eventID\":\"e{i}\",\"pad\":\"{i:0>40}\"}},").as_bytes(),
            );
        }
        records.extend_from_slice(b"{\"eventID\":\"last\"}]}");
        let compressed = gzip(&records);
        let cut = &compressed[..compressed.len() / 2];
        let (seen, report) = read(cut, ReadOptions::default());
        assert!(!seen.is_empty() && seen.len() < 2001, "{}", seen.len());
        let messages: Vec<&str> = report.problems.iter().map(|p| p.message.as_str()).collect();
        assert!(
            messages
                .iter()
                .any(|m| m.contains("gzip stream is damaged or cut off")),
            "{messages:?}"
        );
        assert!(
            messages
                .iter()
                .any(|m| m.contains("the records before it were read")),
            "{messages:?}"
        );
    }

    #[test]
    fn json_lines_skip_bad_lines_and_name_them() {
        let text = b"{\"eventID\":\"a\"}\nnot json at all\n\n{\"eventID\":\"b\"}\n";
        let (seen, report) = read(text, ReadOptions::default());
        assert_eq!(seen.iter().map(|s| s.1).collect::<Vec<_>>(), vec![1, 4]);
        assert_eq!(report.problems.len(), 1);
        assert_eq!(report.problems[0].record, Some(2));
        assert!(!report.problems[0].message.contains("not json at all"));
    }

    #[test]
    fn single_events_and_arrays_are_records() {
        let (seen, _) = read(
            b"{\n  \"eventID\": \"x\",\n  \"eventName\": \"GetSecretValue\"\n}\n",
            ReadOptions::default(),
        );
        assert_eq!(seen.len(), 1);
        let (seen, _) = read(
            br#"[{"eventID":"a"},{"eventID":"b"}]"#,
            ReadOptions::default(),
        );
        assert_eq!(seen.len(), 2);
    }

    #[test]
    fn garbage_is_a_problem_not_a_panic() {
        for bytes in [
            &b""[..],
            b"\x00\x01\x02",
            b"hello",
            b"{\"Records\": 5}",
            b"{\"Records\":[{\"eventID\":",
        ] {
            let (_, report) = read(bytes, ReadOptions::default());
            assert!(!report.problems.is_empty(), "{bytes:?}");
        }
    }
}
