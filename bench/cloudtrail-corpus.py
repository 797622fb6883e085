#!/usr/bin/env python3
"""Build a large synthetic CloudTrail tree for benchmarking `airseal watch cloudtrail`.

The tree is made by replicating a real capture (Invictus IR's Stratus Red Team
recording, MIT licence) rather than by inventing events: real CloudTrail has
deeply nested, irregular records (requestParameters/responseElements differ per
API), and a hand-written generator would be far more uniform than the real thing
and flatter the parser.

    cloudtrail-corpus.py DEST [--bytes N] [--format gz|json] [--single-file]

Tree mode (default) writes DEST/AWSLogs/<account>/CloudTrail/<region>/YYYY/MM/DD/
<account>_CloudTrail_<region>_YYYYMMDDTHHMMZ_<16 alnum>.json[.gz], i.e. the S3
layout CloudTrail delivers, one replica of one source file per output file so
the records-per-file distribution matches real delivery.

Replica k is the capture shifted by k * SPAN (the capture's eventTime span,
rounded up to 5 minutes), with fresh eventIDs and requestIDs, so the replicas
line up into one plausible, continuous, non-overlapping log. Replica 0 is the
source capture itself (same IDs, times and file names), so results on the real
recording can be cross-checked against the big tree.

--single-file writes one {"Records":[...]} file of about N bytes instead (for
the "one huge delivery file" test); it is streamed, never held in memory.

Python 3 standard library only. Output is deterministic (seeded per replica),
so two runs with the same parameters produce byte-identical trees.
"""

import argparse
import calendar
import collections
import glob
import gzip
import json
import multiprocessing
import os
import random
import re
import shutil
import string
import sys
import time
import uuid
import zlib

SOURCE = "/work/shared/corpus/cloudtrail/invictus-sigma-aws"
SOURCE_GLOB = "*_CloudTrail_*_*.json"
# Bump when the output of this script changes, so stale trees are rebuilt.
GENERATOR_VERSION = 1
WORKERS = 2
GZ_LEVEL = 6
FIVE_MIN = 300

# <account>_CloudTrail_<region>_YYYYMMDDTHHMMZ_<suffix>.json
NAME_RE = re.compile(r"^(\d{12})_CloudTrail_([a-z0-9-]+)_(\d{8}T\d{4}Z)_([A-Za-z0-9]+)\.json$")
UUID_RE = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
# Timestamps embedded in non-random requestIDs, e.g. Secrets Manager's
# "SecretDeleteMessage:<arn>:2023-07-10T12:07:00Z:Forced".
EMBEDDED_TS_RE = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ")
ALNUM = string.ascii_letters + string.digits


def dumps(obj):
    # Compact separators, as CloudTrail writes its files; ensure_ascii=False so
    # any non-ASCII text stays raw UTF-8 as in the delivered logs.
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False).encode()


def parse_ts(s):
    """'2023-07-10T11:42:36Z' (optionally with fraction) -> (epoch seconds, tail)."""
    # calendar.timegm on a fixed-width slice is much faster than strptime and
    # this runs once per record at load time only.
    t = calendar.timegm((int(s[0:4]), int(s[5:7]), int(s[8:10]),
                         int(s[11:13]), int(s[14:16]), int(s[17:19]), 0, 0, 0))
    return t, s[19:]  # tail: "Z" or ".123Z"


def fmt_ts(t, tail):
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(t)) + tail


class SourceFile:
    """One source delivery file, parsed once; replicas mutate .records in place."""

    def __init__(self, path):
        m = NAME_RE.match(os.path.basename(path))
        if not m:
            sys.exit(f"unexpected source file name: {path}")
        self.account, self.region, stamp, self.suffix = m.groups()
        self.name_time = calendar.timegm(time.strptime(stamp, "%Y%m%dT%H%MZ"))
        with open(path, "rb") as f:
            self.records = json.load(f)["Records"]
        # Original values, so every replica is derived from the source and not
        # from the previous replica's mutations.
        self.orig = []
        for r in self.records:
            attrs = ((r.get("userIdentity") or {}).get("sessionContext") or {}).get("attributes")
            cd = attrs.get("creationDate") if isinstance(attrs, dict) else None
            self.orig.append((
                r["eventID"],
                r.get("requestID"),
                parse_ts(r["eventTime"]),
                attrs if cd is not None else None,
                parse_ts(cd) if cd is not None else None,
            ))


def load_source():
    paths = sorted(glob.glob(os.path.join(SOURCE, SOURCE_GLOB)))
    if not paths:
        sys.exit(f"no source files matching {SOURCE_GLOB} in {SOURCE}")
    files = [SourceFile(p) for p in paths]
    times = [o[2][0] for f in files for o in f.orig]
    span = max(times) - min(times)
    # Round *up* to the next 5-minute multiple (strictly greater than the span),
    # so replica k+1's first event is after replica k's last one and the shifted
    # file-name stamps stay on CloudTrail's 5-minute grid.
    span = (span // FIVE_MIN + 1) * FIVE_MIN
    return files, span


# Set in the parent before the pool forks; workers inherit them copy-on-write.
SRC_FILES = None
SPAN = None


def fresh_request_id(old, rng, shift):
    if UUID_RE.match(old):
        new = str(uuid.UUID(int=rng.getrandbits(128), version=4))
        return new.upper() if old.isupper() else new
    if old.isalnum():
        # S3-style "CC9X0N62QREGTBMN": same length, same character class per position.
        return "".join(
            rng.choice(string.ascii_uppercase) if c.isupper() else
            rng.choice(string.ascii_lowercase) if c.islower() else
            rng.choice(string.digits) for c in old)
    # Structured, non-random ids (Secrets Manager deletion messages): keep the
    # structure, move the embedded timestamp with the replica.
    return EMBEDDED_TS_RE.sub(lambda m: fmt_ts(parse_ts(m.group())[0] + shift, "Z"), old)


def replica_file(k, i, req_map, rng):
    """Mutate source file i into replica k in place; return (relative path, records)."""
    src = SRC_FILES[i]
    shift = k * SPAN
    if k:
        for r, (_eid, rid, (t, tail), attrs, cd) in zip(src.records, src.orig):
            r["eventID"] = str(uuid.UUID(int=rng.getrandbits(128), version=4))
            if rid is not None:
                # Events that share a requestID in the capture (e.g. a call and
                # its follow-ups) keep sharing the new one within a replica.
                new = req_map.get(rid)
                if new is None:
                    new = req_map[rid] = fresh_request_id(rid, rng, shift)
                r["requestID"] = new
            r["eventTime"] = fmt_ts(t + shift, tail)
            if attrs is not None:
                attrs["creationDate"] = fmt_ts(cd[0] + shift, cd[1])
        suffix = "".join(rng.choice(ALNUM) for _ in range(16))
    else:
        for r, (eid, rid, (t, tail), attrs, cd) in zip(src.records, src.orig):
            r["eventID"] = eid
            if rid is not None:
                r["requestID"] = rid
            r["eventTime"] = fmt_ts(t, tail)
            if attrs is not None:
                attrs["creationDate"] = fmt_ts(cd[0], cd[1])
        suffix = src.suffix
    nt = src.name_time + shift
    stamp = time.strftime("%Y%m%dT%H%MZ", time.gmtime(nt))
    rel = os.path.join("AWSLogs", src.account, "CloudTrail", src.region,
                       time.strftime("%Y/%m/%d", time.gmtime(nt)),
                       f"{src.account}_CloudTrail_{src.region}_{stamp}_{suffix}.json")
    return rel, src.records


def write_replica(args):
    """Worker: write files [0, nfiles) of replica k. Returns counters."""
    dest, k, nfiles, fmt = args
    rng = random.Random(k)  # deterministic per replica, independent of scheduling
    req_map = {}
    made_dirs = set()
    out = collections.Counter()
    for i in range(nfiles):
        rel, records = replica_file(k, i, req_map, rng)
        data = dumps({"Records": records})
        path = os.path.join(dest, rel)
        if fmt == "gz":
            path += ".gz"
            # mtime=0: deterministic bytes, and no misleading header timestamp.
            payload = gzip.compress(data, compresslevel=GZ_LEVEL, mtime=0)
        else:
            payload = data
        d = os.path.dirname(path)
        if d not in made_dirs:
            os.makedirs(d, exist_ok=True)
            made_dirs.add(d)
        # Temp name does not end in .json/.json.gz, so a concurrent reader (or
        # an interrupted run) never sees a half-written log file.
        tmp = path + ".tmp"
        with open(tmp, "wb") as f:
            f.write(payload)
        os.replace(tmp, path)
        out["files"] += 1
        out["events"] += len(records)
        out["raw"] += len(data)
        out["disk"] += len(payload)
    return out


def replica_records(k):
    """Worker (single-file mode): all records of replica k, each serialised."""
    rng = random.Random(k)
    req_map = {}
    recs = []
    for i in range(len(SRC_FILES)):
        _rel, records = replica_file(k, i, req_map, rng)
        recs.extend(dumps(r) for r in records)
    return recs


def bounded_imap(pool, fn, items, window=2 * WORKERS):
    """Ordered imap with at most `window` results in flight.

    Pool.imap runs ahead without limit; when the consumer (gzip in the parent)
    is slower than the workers, finished replicas would pile up in memory.
    """
    pending = collections.deque()
    for item in items:
        pending.append(pool.apply_async(fn, (item,)))
        if len(pending) >= window:
            yield pending.popleft().get()
    while pending:
        yield pending.popleft().get()


def gen_tree(dest, nbytes, fmt, pool):
    sizes = [len(dumps({"Records": f.records})) for f in SRC_FILES]
    # Whole source files, replica-major, until the uncompressed total reaches N.
    # IDs and timestamps keep their length, so every replica has the same sizes.
    tasks, total, k = [], 0, 0
    while total < nbytes:
        n = 0
        while n < len(sizes) and total < nbytes:
            total += sizes[n]
            n += 1
        tasks.append((dest, k, n, fmt))
        k += 1
    stats = collections.Counter()
    for c in pool.imap_unordered(write_replica, tasks):
        stats.update(c)
    return stats


def gen_single(dest, nbytes, fmt, pool):
    src = SRC_FILES[0]
    name_rng = random.Random("single-file")
    suffix = "".join(name_rng.choice(ALNUM) for _ in range(16))
    stamp = time.strftime("%Y%m%dT%H%MZ", time.gmtime(src.name_time))
    rel = os.path.join("AWSLogs", src.account, "CloudTrail", src.region,
                       time.strftime("%Y/%m/%d", time.gmtime(src.name_time)),
                       f"{src.account}_CloudTrail_{src.region}_{stamp}_{suffix}.json")
    path = os.path.join(dest, rel) + (".gz" if fmt == "gz" else "")
    os.makedirs(os.path.dirname(path), exist_ok=True)
    tmp = path + ".tmp"
    head, tail = b'{"Records":[', b"]}"
    # wbits=31: a single gzip member (real CloudTrail files are single-member;
    # some decoders stop after the first member of a multi-member file).
    comp = zlib.compressobj(GZ_LEVEL, zlib.DEFLATED, 31) if fmt == "gz" else None
    stats = collections.Counter()
    with open(tmp, "wb", buffering=1 << 20) as f:
        def emit(b):
            stats["raw"] += len(b)
            f.write(comp.compress(b) if comp else b)

        emit(head)
        budget = nbytes - len(head) - len(tail)
        first = True
        for recs in bounded_imap(pool, replica_records, range(sys.maxsize)):
            for r in recs:
                emit(r if first else b"," + r)
                first = False
                stats["events"] += 1
                if stats["raw"] >= budget:
                    break
            if stats["raw"] >= budget:
                break
        emit(tail)
        if comp:
            f.write(comp.flush())
    os.replace(tmp, path)
    stats["files"] = 1
    stats["disk"] = os.path.getsize(path)
    print(f"single file: {path}")
    return stats


def allocated_bytes(root):
    total = 0
    for d, _dirs, names in os.walk(root):
        for n in names:
            total += os.lstat(os.path.join(d, n)).st_blocks * 512
    return total


def main():
    global SRC_FILES, SPAN
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("dest")
    ap.add_argument("--bytes", type=int, default=1_100_000_000,
                    help="uncompressed CloudTrail JSON to produce (default 1.1e9)")
    ap.add_argument("--format", choices=("gz", "json"), default="gz")
    ap.add_argument("--single-file", action="store_true",
                    help="one {\"Records\":[...]} file of about --bytes instead of a tree")
    a = ap.parse_args()

    SRC_FILES, SPAN = load_source()
    params = {
        "generator_version": GENERATOR_VERSION,
        "bytes": a.bytes,
        "format": a.format,
        "single_file": a.single_file,
        "source": SOURCE,
        "source_files": [[os.path.basename(p), os.path.getsize(p)]
                         for p in sorted(glob.glob(os.path.join(SOURCE, SOURCE_GLOB)))],
    }
    dest = os.path.abspath(a.dest)
    marker = os.path.join(dest, ".complete")
    progress = os.path.join(dest, ".in-progress")
    if os.path.exists(marker):
        with open(marker) as f:
            done = json.load(f)
        if done.get("params") == params:
            print(f"{dest}: already complete with these parameters, skipping")
            print_summary(done["summary"])
            return
    logs = os.path.join(dest, "AWSLogs")
    if os.path.exists(logs):
        # Only wipe a tree we made ourselves; never a real CloudTrail download.
        if not (os.path.exists(marker) or os.path.exists(progress)):
            sys.exit(f"{logs} exists and was not made by this script; refusing to overwrite")
        shutil.rmtree(logs)
    os.makedirs(dest, exist_ok=True)
    if os.path.exists(marker):
        os.remove(marker)
    open(progress, "w").close()

    t0 = time.monotonic()
    # fork: workers inherit the parsed source instead of re-reading it.
    with multiprocessing.get_context("fork").Pool(WORKERS) as pool:
        if a.single_file:
            stats = gen_single(dest, a.bytes, a.format, pool)
        else:
            stats = gen_tree(dest, a.bytes, a.format, pool)
    # The source is MIT-licensed; its notice must travel with copies.
    shutil.copyfile(os.path.join(SOURCE, "LICENSE"), os.path.join(dest, "LICENSE"))
    secs = time.monotonic() - t0

    summary = {
        "files": stats["files"],
        "events": stats["events"],
        "uncompressed_bytes": stats["raw"],
        "on_disk_bytes": stats["disk"],
        "allocated_bytes": allocated_bytes(logs),
        "seconds": round(secs, 1),
        "span_seconds": SPAN,
        "dest": dest,
    }
    with open(marker + ".tmp", "w") as f:
        json.dump({"params": params, "summary": summary}, f, indent=1)
    os.replace(marker + ".tmp", marker)
    os.remove(progress)
    print_summary(summary)


def print_summary(s):
    print(f"files:              {s['files']:,}")
    print(f"events:             {s['events']:,}")
    print(f"uncompressed bytes: {s['uncompressed_bytes']:,}")
    print(f"on-disk bytes:      {s['on_disk_bytes']:,} (sum of file sizes; "
          f"{s['allocated_bytes']:,} allocated)")
    print(f"seconds:            {s['seconds']}")


if __name__ == "__main__":
    main()
