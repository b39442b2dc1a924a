//! A pass over a file's element stream before dicom-rs parses it. dicom-rs reads
//! sequences by recursion and allocates each value at the length its header declares,
//! so a small hostile file could overflow the stack (sequences nested 1,500 deep) or make
//! it claim gigabytes (a length of `0xFFFFFFF0` in a 34 KB file). This pass walks the
//! same structure with a stack of its own, in the encoding the file declares (explicit or
//! implicit VR, either byte order, defined and undefined lengths), and refuses a file in
//! which
//! - sequences nest deeper than [`MAX_DEPTH`] levels;
//! - a value, item, fragment or sequence declares more bytes than remain in the data,
//!   or in the item or sequence of defined length that holds it;
//! - elements, items, fragments and values of multi-valued text attributes (which
//!   dicom-rs splits into one string each) number more than [`MAX_VALUES`].
//!
//! It mirrors the tokenizer of dicom-rs (`dicom_parser::dataset::DataSetReader`): an
//! element of undefined length is a sequence whatever its VR, PixelData of undefined
//! length holds fragments, an item delimiter outside any item is ignored, and the end of
//! the data where an element tag is expected ends the data set. After this pass, every
//! allocation dicom-rs makes while reading is bounded by the size of the file.

use dicom_core::dictionary::{DataDictionary, DataDictionaryEntry};
use dicom_core::{Tag, VR};
use dicom_dictionary_std::StandardDataDictionary;

/// The deepest nesting of sequences read (a structured report rarely passes 20).
pub const MAX_DEPTH: usize = 64;

/// The most elements, items, fragments and text values one file may hold (a radiograph
/// holds a few hundred; every one costs dicom-rs a separate allocation).
pub const MAX_VALUES: u64 = 1_000_000;

/// How the elements of a data set are encoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Encoding {
    /// Big endian (Explicit VR Big Endian, retired).
    pub big_endian: bool,
    /// Explicit VR (every transfer syntax but Implicit VR Little Endian).
    pub explicit_vr: bool,
}

impl Encoding {
    /// Explicit VR Little Endian, the encoding of the file meta group.
    pub const EXPLICIT_LE: Self = Self {
        big_endian: false,
        explicit_vr: true,
    };
}

const PIXEL_DATA: Tag = Tag(0x7FE0, 0x0010);
const ITEM: u16 = 0xE000;
const ITEM_END: u16 = 0xE00D;
const SEQUENCE_END: u16 = 0xE0DD;
const UNDEFINED: u32 = 0xFFFF_FFFF;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// A sequence: items are expected.
    Sequence,
    /// Encapsulated pixel data: fragments are expected.
    Fragments,
    /// An item of a sequence: elements are expected.
    Item,
}

#[derive(Debug, Clone, Copy)]
struct Open {
    kind: Kind,
    /// Where it ends, for a defined length.
    end: Option<usize>,
}

struct Reader<'a> {
    data: &'a [u8],
    pos: usize,
    enc: Encoding,
}

impl Reader<'_> {
    fn u16_at(&self, at: usize) -> Option<u16> {
        let b = self.data.get(at..at + 2)?;
        Some(if self.enc.big_endian {
            u16::from_be_bytes([b[0], b[1]])
        } else {
            u16::from_le_bytes([b[0], b[1]])
        })
    }

    fn u32_at(&self, at: usize) -> Option<u32> {
        let b = self.data.get(at..at + 4)?;
        let b = [b[0], b[1], b[2], b[3]];
        Some(if self.enc.big_endian {
            u32::from_be_bytes(b)
        } else {
            u32::from_le_bytes(b)
        })
    }

    fn tag_at(&self, at: usize) -> Option<Tag> {
        Some(Tag(self.u16_at(at)?, self.u16_at(at + 2)?))
    }

    fn truncated(&self, what: &str) -> String {
        format!(
            "the data set is truncated in {what} at byte {} of {}",
            self.pos,
            self.data.len()
        )
    }
}

/// Whether dicom-rs splits a value of this VR at each `\` into separate strings.
fn split_text(vr: VR) -> bool {
    matches!(
        vr,
        VR::AE | VR::AS | VR::PN | VR::SH | VR::LO | VR::UC | VR::UI | VR::CS
    )
}

/// The size of one value of a binary VR of fixed size. dicom-rs reads `len / size`
/// values but advances by `len`, so a length that is not a multiple would leave it
/// reading the rest of the file out of step (found by fuzzing: an `AT` of 2 bytes made
/// the next header's value a length of 1.9 GB).
fn value_size(vr: VR) -> Option<u32> {
    match vr {
        VR::US | VR::SS | VR::OW => Some(2),
        VR::AT | VR::UL | VR::SL | VR::FL | VR::OL | VR::OF => Some(4),
        VR::FD | VR::OD | VR::SV | VR::UV | VR::OV => Some(8),
        _ => None,
    }
}

/// VRs whose explicit-VR header has a 16-bit length (PS3.5 7.1.2).
fn short_length(vr: VR) -> bool {
    matches!(
        vr,
        VR::AE
            | VR::AS
            | VR::AT
            | VR::CS
            | VR::DA
            | VR::DS
            | VR::DT
            | VR::FL
            | VR::FD
            | VR::IS
            | VR::LO
            | VR::LT
            | VR::PN
            | VR::SH
            | VR::SL
            | VR::SS
            | VR::ST
            | VR::TM
            | VR::UI
            | VR::UL
            | VR::US
    )
}

/// Checks the data set `data`, encoded as `enc`, against the limits above.
pub(crate) fn check_dataset(data: &[u8], enc: Encoding) -> Result<(), String> {
    let mut r = Reader { data, pos: 0, enc };
    let mut open: Vec<Open> = Vec::new();
    let mut depth = 0usize;
    let mut values = 0u64;
    loop {
        // Close what ends here; nothing may run past the end of what holds it.
        while let Some(Open {
            end: Some(end),
            kind,
        }) = open.last().copied()
        {
            if r.pos < end {
                break;
            }
            if r.pos > end {
                return Err(format!(
                    "an element runs past the end of its item or sequence (byte {} of {})",
                    r.pos, end
                ));
            }
            open.pop();
            if kind == Kind::Sequence {
                depth -= 1;
            }
        }
        // The innermost defined end: no length may reach past it.
        let limit = open
            .iter()
            .rev()
            .find_map(|o| o.end)
            .unwrap_or(data.len())
            .min(data.len());
        if r.pos >= data.len() {
            return Ok(());
        }
        values += 1;
        if values > MAX_VALUES {
            return Err(format!(
                "the file holds more than {MAX_VALUES} elements, items and values"
            ));
        }
        let fits = |r: &Reader, at: usize, len: u32, what: &str| -> Result<usize, String> {
            let remain = limit.saturating_sub(at);
            if len as usize > remain {
                return Err(format!(
                    "{what} at byte {} declares {len} bytes, but only {remain} remain",
                    r.pos
                ));
            }
            Ok(at + len as usize)
        };
        match open.last().map(|o| o.kind) {
            Some(kind @ (Kind::Sequence | Kind::Fragments)) => {
                // An item header: (FFFE,xxxx) and a 32-bit length, in any encoding.
                let (Some(tag), Some(len)) = (r.tag_at(r.pos), r.u32_at(r.pos + 4)) else {
                    return Err(r.truncated("an item header"));
                };
                let body = r.pos + 8;
                match (tag.group(), tag.element()) {
                    (0xFFFE, ITEM) if kind == Kind::Fragments => {
                        if len == UNDEFINED {
                            return Err(format!(
                                "a pixel data fragment at byte {} has an undefined length",
                                r.pos
                            ));
                        }
                        r.pos = fits(&r, body, len, "a pixel data fragment")?;
                    }
                    (0xFFFE, ITEM) => {
                        let end = if len == UNDEFINED {
                            None
                        } else {
                            Some(fits(&r, body, len, "an item")?)
                        };
                        open.push(Open {
                            kind: Kind::Item,
                            end,
                        });
                        r.pos = body;
                    }
                    (0xFFFE, SEQUENCE_END) => {
                        open.pop();
                        if kind == Kind::Sequence {
                            depth -= 1;
                        }
                        r.pos = body;
                    }
                    _ => {
                        return Err(format!(
                            "expected an item at byte {}, found the tag ({:04X},{:04X})",
                            r.pos,
                            tag.group(),
                            tag.element()
                        ))
                    }
                }
            }
            top => {
                // An element header. Fewer bytes than a tag end the data set, as in
                // dicom-rs.
                let Some(tag) = r.tag_at(r.pos) else {
                    return Ok(());
                };
                let (vr, len, header) = if tag.group() == 0xFFFE {
                    // Item and delimiter tags carry no VR, in any encoding.
                    let len = r.u32_at(r.pos + 4).ok_or_else(|| r.truncated("a header"))?;
                    (VR::UN, len, 8)
                } else if enc.explicit_vr {
                    let b = data
                        .get(r.pos + 4..r.pos + 6)
                        .ok_or_else(|| r.truncated("a header"))?;
                    let vr = VR::from_binary([b[0], b[1]]).unwrap_or(VR::UN);
                    if short_length(vr) {
                        let len = r.u16_at(r.pos + 6).ok_or_else(|| r.truncated("a header"))?;
                        (vr, u32::from(len), 8)
                    } else {
                        let len = r.u32_at(r.pos + 8).ok_or_else(|| r.truncated("a header"))?;
                        (vr, len, 12)
                    }
                } else {
                    let len = r.u32_at(r.pos + 4).ok_or_else(|| r.truncated("a header"))?;
                    let vr = if tag == PIXEL_DATA
                        || (tag.group() >> 8 == 0x60 && tag.element() == 0x3000)
                    {
                        VR::OW
                    } else {
                        StandardDataDictionary
                            .by_tag(tag)
                            .map_or(VR::UN, |e| e.vr().relaxed())
                    };
                    (vr, len, 8)
                };
                let body = r.pos + header;
                if tag == Tag(0xFFFE, ITEM_END) {
                    // Ends the item it is in; ignored outside any item.
                    if top == Some(Kind::Item) {
                        open.pop();
                    }
                    r.pos = body;
                    continue;
                }
                let sequence = vr == VR::SQ || len == UNDEFINED;
                if sequence && !(vr != VR::SQ && tag == PIXEL_DATA) {
                    depth += 1;
                    if depth > MAX_DEPTH {
                        return Err(format!(
                            "sequences are nested more than {MAX_DEPTH} levels deep"
                        ));
                    }
                    let end = if len == UNDEFINED {
                        None
                    } else {
                        Some(fits(&r, body, len, "a sequence")?)
                    };
                    open.push(Open {
                        kind: Kind::Sequence,
                        end,
                    });
                    r.pos = body;
                } else if sequence {
                    open.push(Open {
                        kind: Kind::Fragments,
                        end: None,
                    });
                    r.pos = body;
                } else {
                    let what = format!("the element ({:04X},{:04X})", tag.group(), tag.element());
                    if let Some(size) = value_size(vr).filter(|size| len % size != 0) {
                        return Err(format!(
                            "{what} at byte {} is {len} bytes of {vr:?}, not a whole number \
                             of {size}-byte values",
                            r.pos
                        ));
                    }
                    let end = fits(&r, body, len, &what)?;
                    if split_text(vr) {
                        let parts = data[body..end].iter().filter(|b| **b == b'\\').count();
                        values += parts as u64;
                    }
                    r.pos = end;
                }
            }
        }
    }
}

/// What the file meta group says, and where the data set starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Meta {
    /// The transfer syntax UID, with its padding.
    pub transfer_syntax: Option<String>,
    /// Offset of the data set in the bytes given to [`check_meta`].
    pub dataset_start: usize,
}

/// Checks the file meta group of `body`, which starts with `DICM`, the way dicom-rs
/// reads it: a group length element, then elements of defined length until that many
/// bytes are read.
pub(crate) fn check_meta(body: &[u8]) -> Result<Meta, String> {
    let r = Reader {
        data: body,
        pos: 4,
        enc: Encoding::EXPLICIT_LE,
    };
    if r.tag_at(4) != Some(Tag(0x0002, 0x0000)) || r.u16_at(10) != Some(4) {
        return Err("the file meta group does not start with its group length".to_owned());
    }
    let group_length = r.u32_at(12).ok_or("the file meta group is truncated")? as usize;
    let mut pos = 16;
    let mut read = 0usize;
    let mut transfer_syntax = None;
    while read < group_length {
        let r = Reader {
            data: body,
            pos,
            enc: Encoding::EXPLICIT_LE,
        };
        let tag = r
            .tag_at(pos)
            .ok_or_else(|| r.truncated("the file meta group"))?;
        let vr = body
            .get(pos + 4..pos + 6)
            .and_then(|b| VR::from_binary([b[0], b[1]]))
            .unwrap_or(VR::UN);
        let (len, header) = if tag.group() == 0xFFFE {
            (r.u32_at(pos + 4), 8)
        } else if short_length(vr) {
            (r.u16_at(pos + 6).map(u32::from), 8)
        } else {
            (r.u32_at(pos + 8), 12)
        };
        let len = len.ok_or_else(|| r.truncated("the file meta group"))?;
        if len == UNDEFINED {
            return Err("an element of the file meta group has an undefined length".to_owned());
        }
        let start = pos + header;
        let remain = body.len().saturating_sub(start);
        if len as usize > remain {
            return Err(format!(
                "the file meta element ({:04X},{:04X}) declares {len} bytes, but only {remain} remain",
                tag.group(),
                tag.element()
            ));
        }
        if tag == Tag(0x0002, 0x0010) {
            transfer_syntax =
                Some(String::from_utf8_lossy(&body[start..start + len as usize]).into_owned());
        }
        pos = start + len as usize;
        read += header + len as usize;
    }
    Ok(Meta {
        transfer_syntax,
        dataset_start: pos,
    })
}
