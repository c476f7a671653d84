"""The key/data pairs of a Berkeley DB hash database, read from its bytes (rpm's older `Packages`).

The file is a sequence of pages of one size. Page 0 is the metadata: the generic part (72
bytes) holds, at byte 12, the magic 0x061561 of a hash database, whose byte order is that of
every number in the file (rpm databases are in the byte order of the machine that wrote them);
at 16 the version, at 20 the page size, at 24 the encryption algorithm, at 26 the metadata
flags (bit 0: checksummed pages), at 32 the last page number.

Every other page starts with a 26-byte header: LSN (8), page number (4), previous and next
page numbers (4 each), the entry count (2), `hf_offset` (2), the level (1) and the page type
(1). A hash page (type 13, or 2 before Berkeley DB 4.6) then has an array of `entries` 2-byte
offsets of its items, key and data alternating; an item runs from its offset to the offset of
the item before it (the first to the end of the page) and starts with its type byte: 1
H_KEYDATA (the bytes follow), 3 H_OFFPAGE (3 unused bytes, the first overflow page number and
the total length, 4 bytes each), 2 H_DUPLICATE and 4 H_OFFDUP (sets of duplicates, which rpm
never writes). An overflow page (type 7) holds `hf_offset` bytes of the value after its header
and names the next page of the chain.

The reader walks the hash pages in file order: no hashing, so the pairs come in page order.
It trusts nothing: the page size must be a power of two from 512 to 64 KiB, the page count is
bounded by the file size, and an overflow chain that loops, leaves the file or stops short is
a problem of that one pair.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from typing import Literal

HASH_MAGIC = 0x061561
_META_SIZE = 72
_PAGE_HEADER = 26
_P_HASH_UNSORTED = 2
_P_OVERFLOW = 7
_P_HASHMETA = 8
_P_HASH = 13
_H_KEYDATA = 1
_H_DUPLICATE = 2
_H_OFFPAGE = 3
_H_OFFDUP = 4
_DBMETA_CHKSUM = 0x01
_MIN_PAGE = 512
_MAX_PAGE = 64 * 1024


class BerkeleyDBError(ValueError):
    """The file is not a Berkeley DB hash database this reader can read at all."""


@dataclass
class HashDatabase:
    """The pairs read, in page order, and what could not be read (one sentence each)."""

    byteorder: Literal["little", "big"]
    page_size: int
    pairs: list[tuple[bytes, bytes]] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def read_hash_database(data: bytes) -> HashDatabase:
    """The key/data pairs of the hash database in `data`; raises BerkeleyDBError when the
    metadata page is not one; a damaged page or pair becomes a problem and the rest is read."""
    if len(data) < _META_SIZE:
        raise BerkeleyDBError(f"{len(data)} bytes: shorter than the metadata page")
    order: Literal["little", "big"]
    if struct.unpack_from("<I", data, 12)[0] == HASH_MAGIC:
        order, fmt = "little", "<"
    elif struct.unpack_from(">I", data, 12)[0] == HASH_MAGIC:
        order, fmt = "big", ">"
    else:
        raise BerkeleyDBError("no Berkeley DB hash magic in the metadata page")
    page_size, encrypt_alg, page_type, metaflags = struct.unpack_from(fmt + "IBBB", data, 20)
    last_pgno = struct.unpack_from(fmt + "I", data, 32)[0]
    if page_size < _MIN_PAGE or page_size > _MAX_PAGE or page_size & (page_size - 1):
        raise BerkeleyDBError(f"page size {page_size} is not a power of two from 512 to 64 KiB")
    if page_type != _P_HASHMETA:
        raise BerkeleyDBError(f"metadata page of type {page_type}, not a hash metadata page")
    if encrypt_alg != 0:
        raise BerkeleyDBError("the database is encrypted")
    if metaflags & _DBMETA_CHKSUM:
        raise BerkeleyDBError("checksummed pages are not supported")
    database = HashDatabase(order, page_size)
    pages = len(data) // page_size
    if len(data) % page_size or last_pgno + 1 > pages:
        database.problems.append(
            f"truncated: {len(data)} bytes for {last_pgno + 1} pages of {page_size} bytes"
        )
    reader = _Reader(data, fmt, page_size, min(pages, last_pgno + 1), database)
    for pgno in range(1, reader.pages):
        if data[pgno * page_size + 25] in (_P_HASH, _P_HASH_UNSORTED):
            reader.hash_page(pgno)
    return database


class _Reader:
    def __init__(
        self, data: bytes, fmt: str, page_size: int, pages: int, database: HashDatabase
    ) -> None:
        self.data = data
        self.fmt = fmt
        self.page_size = page_size
        self.pages = pages
        self.database = database

    def _problem(self, message: str) -> None:
        self.database.problems.append(message)

    def hash_page(self, pgno: int) -> None:
        base = pgno * self.page_size
        entries = struct.unpack_from(self.fmt + "H", self.data, base + 20)[0]
        if _PAGE_HEADER + 2 * entries > self.page_size:
            self._problem(f"page {pgno}: {entries} entries do not fit the page")
            return
        if entries % 2:
            self._problem(f"page {pgno}: an odd number of entries ({entries})")
            entries -= 1
        offsets = struct.unpack_from(f"{self.fmt}{entries}H", self.data, base + _PAGE_HEADER)
        items: list[bytes | None] = []
        end = self.page_size
        for index, offset in enumerate(offsets):
            if offset < _PAGE_HEADER + 2 * entries or offset >= end:
                self._problem(f"page {pgno}: item {index} at offset {offset} is out of place")
                return
            items.append(self._item(pgno, index, self.data[base + offset : base + end]))
            end = offset
        for index in range(0, entries, 2):
            key, value = items[index], items[index + 1]
            if key is not None and value is not None:
                self.database.pairs.append((key, value))

    def _item(self, pgno: int, index: int, item: bytes) -> bytes | None:
        kind = item[0]
        if kind == _H_KEYDATA:
            return item[1:]
        if kind == _H_OFFPAGE:
            if len(item) < 12:
                self._problem(f"page {pgno}: item {index}: an off-page reference cut short")
                return None
            first, length = struct.unpack_from(self.fmt + "II", item, 4)
            return self._overflow(pgno, index, first, length)
        if kind in (_H_DUPLICATE, _H_OFFDUP):
            self._problem(f"page {pgno}: item {index}: duplicate sets are not read")
            return None
        self._problem(f"page {pgno}: item {index} of unknown type {kind}")
        return None

    def _overflow(self, pgno: int, index: int, first: int, length: int) -> bytes | None:
        where = f"page {pgno}: item {index}: overflow chain from page {first}"
        if length > self.pages * self.page_size:
            self._problem(f"{where}: {length} bytes cannot fit the file")
            return None
        chunks: list[bytes] = []
        size = 0
        seen: set[int] = set()
        current = first
        while current != 0:
            if current in seen:
                self._problem(f"{where}: loops back to page {current}")
                return None
            if current >= self.pages:
                self._problem(f"{where}: page {current} is past the end of the file")
                return None
            seen.add(current)
            base = current * self.page_size
            next_pgno, _, hf_offset, _, page_type = struct.unpack_from(
                self.fmt + "IHHBB", self.data, base + 16
            )
            if page_type != _P_OVERFLOW:
                self._problem(f"{where}: page {current} is of type {page_type}, not overflow")
                return None
            if hf_offset > self.page_size - _PAGE_HEADER or size + hf_offset > length:
                self._problem(f"{where}: page {current} holds {hf_offset} bytes, too many")
                return None
            chunks.append(self.data[base + _PAGE_HEADER : base + _PAGE_HEADER + hf_offset])
            size += hf_offset
            current = next_pgno
        if size != length:
            self._problem(f"{where}: {size} of {length} bytes")
            return None
        return b"".join(chunks)
