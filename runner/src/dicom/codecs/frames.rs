//! Which fragments of encapsulated pixel data make frame `k` (PS3.5 A.4), for 2D images
//! and series alike:
//! - the Extended Offset Table (7FE0,0001) and its Lengths (7FE0,0002), when present
//!   (PS3.3 C.7.6.3.1.8: the 64-bit offset of each frame's first fragment item and each
//!   frame's length; the Basic Offset Table must then be empty);
//! - else one fragment per frame, when there are as many fragments as frames;
//! - else the Basic Offset Table (the 32-bit offset of each frame's first fragment item);
//! - else each frame's first fragment, found by its codestream's start marker.
//!
//! A table is checked against the fragments as a whole before any frame is taken from it:
//! one entry per frame, offsets increasing from 0 and each the start of a fragment item,
//! and (Extended) each length that of the frame's fragments. PS3.3 allows an Extended
//! Offset Table only when each frame is one fragment; a frame of several fragments
//! whose length is the sum of theirs is read all the same (the length leaves no doubt).

use super::super::open::Object;
use dicom_core::value::{PixelFragmentSequence, PrimitiveValue, Value};
use dicom_core::Tag;
use dicom_dictionary_std::tags;
use std::borrow::Cow;
use std::ops::Range;

use super::super::guard::{JPEG, JPEG_2000};
use super::JPEG_LS;

/// An offset table of encapsulated pixel data, as its errors name it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Table {
    /// The first item of the pixel data (32-bit offsets).
    Basic,
    /// Extended Offset Table (7FE0,0001) (64-bit offsets).
    Extended,
    /// Extended Offset Table Lengths (7FE0,0002) (64-bit lengths).
    ExtendedLengths,
}

impl std::fmt::Display for Table {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Basic => "the Basic Offset Table",
            Self::Extended => "the Extended Offset Table (7FE0,0001)",
            Self::ExtendedLengths => "the Extended Offset Table Lengths (7FE0,0002)",
        })
    }
}

/// Why the fragments of a frame cannot be told: each names the table and the number at
/// fault.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum FrameError {
    #[error("the encapsulated pixel data has no fragment")]
    NoFragment,
    #[error("the encapsulated pixel data has {fragments} fragment(s) for {frames} frames")]
    TooFewFragments { fragments: usize, frames: usize },
    #[error("{table} holds {bytes} bytes, not a whole number of 64-bit values")]
    NotWhole { table: Table, bytes: usize },
    #[error("{table} is not binary (a {vr} value); it must hold 64-bit values")]
    NotBinary { table: Table, vr: &'static str },
    #[error("{present} is present without {missing}")]
    Missing { present: Table, missing: Table },
    #[error(
        "both the Basic Offset Table ({basic} entries) and the Extended Offset Table \
         (7FE0,0001) are present; PS3.5 A.4 requires the Basic Offset Table to be empty \
         when there is an Extended one"
    )]
    BothTables { basic: usize },
    #[error("{table} has {entries} entries for {frames} frames (NumberOfFrames)")]
    Count {
        table: Table,
        entries: usize,
        frames: usize,
    },
    #[error("{table} gives frame 0 the offset {offset}; the first frame starts at 0")]
    FirstNotZero { table: Table, offset: u64 },
    #[error(
        "{table}'s offsets do not increase: frame {frame} at {offset}, after frame {} at \
         {previous}", .frame.saturating_sub(1)
    )]
    NotIncreasing {
        table: Table,
        frame: usize,
        offset: u64,
        previous: u64,
    },
    #[error(
        "{table}'s offset {offset} for frame {frame} does not start a fragment item (the \
         fragment items start at 0, {second}, ... and end at {end})"
    )]
    NotAFragment {
        table: Table,
        frame: usize,
        offset: u64,
        second: u64,
        end: u64,
    },
    #[error(
        "the Extended Offset Table Lengths (7FE0,0002) give frame {frame} {length} bytes; \
         its {fragments} fragment(s) hold {held}"
    )]
    Length {
        frame: usize,
        length: u64,
        fragments: usize,
        held: u64,
    },
    #[error(
        "{fragments} fragments for {frames} frames without an offset table: this transfer \
         syntax needs one fragment per frame"
    )]
    OneEach { fragments: usize, frames: usize },
    #[error(
        "{fragments} fragments for {frames} frames without an offset table, and {starts} of \
         them start a codestream: which fragments make each frame is unknown"
    )]
    Unmarked {
        fragments: usize,
        frames: usize,
        starts: usize,
    },
}

/// The encoded bytes of frame `frame` of `frames` in `obj`'s pixel data `seq`: its
/// fragments, joined when there are several, and cut to the length the Extended Offset
/// Table Lengths give.
pub(crate) fn frame_data<'a>(
    obj: &Object,
    seq: &'a PixelFragmentSequence<Vec<u8>>,
    frames: u32,
    frame: u32,
    ts: &str,
) -> Result<Cow<'a, [u8]>, FrameError> {
    let fragments = seq.fragments();
    let n = fragments.len();
    if n == 0 {
        return Err(FrameError::NoFragment);
    }
    let (frames, frame) = (frames as usize, frame as usize);
    // INVARIANT: frame < frames (the caller checks), and a table's ranges are one per frame.
    let (range, length) = if let Some(Extended { offsets, lengths }) = extended(obj)? {
        if !seq.offset_table().is_empty() {
            return Err(FrameError::BothTables {
                basic: seq.offset_table().len(),
            });
        }
        let ranges = by_extended(&offsets, &lengths, fragments, frames)?;
        (ranges[frame].clone(), Some(lengths[frame]))
    } else if n == frames {
        (frame..frame + 1, None)
    } else if frames == 1 {
        (0..n, None)
    } else if n < frames {
        return Err(FrameError::TooFewFragments {
            fragments: n,
            frames,
        });
    } else if !seq.offset_table().is_empty() {
        let offsets: Vec<u64> = seq.offset_table().iter().map(|o| u64::from(*o)).collect();
        let ranges = by_offsets(Table::Basic, &offsets, fragments, frames)?;
        (ranges[frame].clone(), None)
    } else {
        (by_start_marker(fragments, frames, frame, ts)?, None)
    };
    let data = match &fragments[range] {
        [one] => Cow::Borrowed(one.as_slice()),
        several => Cow::Owned(several.concat()),
    };
    // INVARIANT: a length is at most what the fragments hold (checked in `by_extended`).
    Ok(match (length.and_then(|l| usize::try_from(l).ok()), data) {
        (Some(l), Cow::Borrowed(b)) if l < b.len() => Cow::Borrowed(&b[..l]),
        (Some(l), Cow::Owned(mut b)) if l < b.len() => {
            b.truncate(l);
            Cow::Owned(b)
        }
        (_, data) => data,
    })
}

/// An Extended Offset Table: each frame's first fragment item's offset, and its length.
struct Extended {
    offsets: Vec<u64>,
    lengths: Vec<u64>,
}

/// The Extended Offset Table and its Lengths, when the object has them (an empty table
/// is taken as absent: it says nothing).
fn extended(obj: &Object) -> Result<Option<Extended>, FrameError> {
    let offsets = values(obj, tags::EXTENDED_OFFSET_TABLE, Table::Extended)?;
    let lengths = values(
        obj,
        tags::EXTENDED_OFFSET_TABLE_LENGTHS,
        Table::ExtendedLengths,
    )?;
    match (offsets, lengths) {
        (None, None) => Ok(None),
        (Some(offsets), Some(lengths)) => Ok(Some(Extended { offsets, lengths })),
        (Some(_), None) => Err(FrameError::Missing {
            present: Table::Extended,
            missing: Table::ExtendedLengths,
        }),
        (None, Some(_)) => Err(FrameError::Missing {
            present: Table::ExtendedLengths,
            missing: Table::Extended,
        }),
    }
}

/// The 64-bit values of `tag` (OV, or OB/UN bytes read little-endian), None when absent
/// or empty.
fn values(obj: &Object, tag: Tag, table: Table) -> Result<Option<Vec<u64>>, FrameError> {
    let Some(element) = obj.get(tag) else {
        return Ok(None);
    };
    let not_binary = |vr: &'static str| FrameError::NotBinary { table, vr };
    let Value::Primitive(value) = element.value() else {
        return Err(not_binary("sequence"));
    };
    let out: Vec<u64> = match value {
        PrimitiveValue::Empty => Vec::new(),
        PrimitiveValue::U64(v) => v.to_vec(),
        PrimitiveValue::U8(bytes) => {
            if bytes.len() % 8 != 0 {
                return Err(FrameError::NotWhole {
                    table,
                    bytes: bytes.len(),
                });
            }
            bytes
                .chunks_exact(8)
                .map(|c| u64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]))
                .collect()
        }
        _ => return Err(not_binary(element.vr().to_string())),
    };
    Ok((!out.is_empty()).then_some(out))
}

/// Each frame's fragments by the Extended Offset Table, after checking it and its
/// Lengths against the fragments.
pub(super) fn by_extended(
    offsets: &[u64],
    lengths: &[u64],
    fragments: &[Vec<u8>],
    frames: usize,
) -> Result<Vec<Range<usize>>, FrameError> {
    if lengths.len() != frames {
        return Err(FrameError::Count {
            table: Table::ExtendedLengths,
            entries: lengths.len(),
            frames,
        });
    }
    let ranges = by_offsets(Table::Extended, offsets, fragments, frames)?;
    for (frame, (range, &length)) in ranges.iter().zip(lengths).enumerate() {
        let held: u64 = fragments[range.clone()]
            .iter()
            .map(|f| f.len() as u64)
            .sum();
        // A fragment holds an even number of bytes: an odd frame ends in one pad byte,
        // which a length may count or not.
        if length != held && length.saturating_add(1) != held {
            return Err(FrameError::Length {
                frame,
                length,
                fragments: range.len(),
                held,
            });
        }
    }
    Ok(ranges)
}

/// Each frame's fragments by a table of the offsets of each frame's first fragment item,
/// counted from the first item after the Basic Offset Table (PS3.5 A.4), after checking
/// the whole table against the fragments.
pub(super) fn by_offsets(
    table: Table,
    offsets: &[u64],
    fragments: &[Vec<u8>],
    frames: usize,
) -> Result<Vec<Range<usize>>, FrameError> {
    if offsets.len() != frames {
        return Err(FrameError::Count {
            table,
            entries: offsets.len(),
            frames,
        });
    }
    // Where each fragment item starts (an item header is 8 bytes).
    let mut starts = Vec::with_capacity(fragments.len());
    let mut end = 0u64;
    for f in fragments {
        starts.push(end);
        end = end.saturating_add(8 + f.len() as u64);
    }
    let mut firsts = Vec::with_capacity(frames);
    for (frame, &offset) in offsets.iter().enumerate() {
        if frame == 0 && offset != 0 {
            return Err(FrameError::FirstNotZero { table, offset });
        }
        if let Some(&previous) = frame.checked_sub(1).and_then(|p| offsets.get(p)) {
            if offset <= previous {
                return Err(FrameError::NotIncreasing {
                    table,
                    frame,
                    offset,
                    previous,
                });
            }
        }
        let first = starts
            .binary_search(&offset)
            .map_err(|_| FrameError::NotAFragment {
                table,
                frame,
                offset,
                second: starts.get(1).copied().unwrap_or(end),
                end,
            })?;
        firsts.push(first);
    }
    firsts.push(fragments.len());
    Ok(firsts.windows(2).map(|w| w[0]..w[1]).collect())
}

/// The fragments of a frame without an offset table: each frame's first fragment starts
/// with its codestream's start marker (JPEG and JPEG-LS SOI, JPEG 2000 SOC or a JP2
/// signature box). RLE and other syntaxes have one fragment per frame.
pub(super) fn by_start_marker(
    fragments: &[Vec<u8>],
    frames: usize,
    frame: usize,
    ts: &str,
) -> Result<Range<usize>, FrameError> {
    let starts_frame: fn(&[u8]) -> bool = if JPEG.contains(&ts) || JPEG_LS.contains(&ts) {
        |f| f.starts_with(&[0xFF, 0xD8])
    } else if JPEG_2000.contains(&ts) {
        |f| {
            f.starts_with(&[0xFF, 0x4F, 0xFF, 0x51])
                || f.starts_with(&[0, 0, 0, 0x0C, 0x6A, 0x50, 0x20, 0x20])
        }
    } else {
        return Err(FrameError::OneEach {
            fragments: fragments.len(),
            frames,
        });
    };
    let starts: Vec<usize> = (0..fragments.len())
        .filter(|i| starts_frame(&fragments[*i]))
        .collect();
    if starts.len() != frames || starts.first() != Some(&0) {
        return Err(FrameError::Unmarked {
            fragments: fragments.len(),
            frames,
            starts: starts.len(),
        });
    }
    Ok(starts[frame]..starts.get(frame + 1).copied().unwrap_or(fragments.len()))
}
