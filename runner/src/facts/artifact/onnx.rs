//! A reader of the ONNX model format (protobuf `ModelProto`) for the facts clic needs:
//! versions, opsets, producer, metadata, graph inputs and outputs with their element
//! types and shapes, external data and operator domains. Weights are skipped, never
//! decoded. Written against onnx.proto3 (field numbers are stable across ONNX versions).

use std::collections::BTreeSet;

/// What the reader found in a model file.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct OnnxInfo {
    /// `ir_version`.
    pub ir_version: i64,
    /// `opset_import`: (domain, version); the default domain is "".
    pub opsets: Vec<(String, i64)>,
    /// `producer_name`.
    pub producer_name: String,
    /// `producer_version`.
    pub producer_version: String,
    /// `graph.name`.
    pub graph_name: String,
    /// `metadata_props`, in file order.
    pub metadata: Vec<(String, String)>,
    /// Graph inputs that are not initializers.
    pub inputs: Vec<TensorInfo>,
    /// Graph outputs.
    pub outputs: Vec<TensorInfo>,
    /// Whether any initializer keeps its data in an external file.
    pub external_data: bool,
    /// Operator domains used by nodes or imported, beyond the standard ONNX ones.
    pub custom_domains: BTreeSet<String>,
    /// Number of nodes in the main graph.
    pub nodes: usize,
    /// The operators the main graph's nodes use, by `op_type`, sorted; an operator of a
    /// domain other than the default ONNX one is written `domain:op_type`.
    pub operators: BTreeSet<String>,
}

/// A graph input or output.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TensorInfo {
    /// Name.
    pub name: String,
    /// Element type, e.g. `float32`; `unknown` when the file does not say.
    pub elem_type: String,
    /// Dimensions: a number, a symbolic name, or `?`.
    pub shape: Vec<String>,
}

/// Why a file is not a readable ONNX model.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OnnxError {
    /// The data ends in the middle of a field.
    #[error("the file is truncated: a field at byte {0} runs past the end")]
    Truncated(usize),
    /// The bytes are not protobuf, or not a ModelProto.
    #[error("not an ONNX model: {0}")]
    NotOnnx(String),
}

const STANDARD_DOMAINS: [&str; 3] = ["", "ai.onnx", "ai.onnx.ml"];

/// Reads the model facts from the bytes of an `.onnx` file.
pub fn read(bytes: &[u8]) -> Result<OnnxInfo, OnnxError> {
    let mut info = OnnxInfo::default();
    let mut graph: Option<&[u8]> = None;
    let mut saw_ir = false;
    for field in Fields::new(bytes) {
        let field = field?;
        match (field.number, field.value) {
            (1, Value::Varint(v)) => {
                info.ir_version = v as i64;
                saw_ir = true;
            }
            (2, Value::Bytes(b)) => info.producer_name = text(b)?,
            (3, Value::Bytes(b)) => info.producer_version = text(b)?,
            (7, Value::Bytes(b)) => graph = Some(b),
            (8, Value::Bytes(b)) => {
                let (mut domain, mut version) = (String::new(), 0);
                for f in Fields::new(b) {
                    match f?.pair() {
                        (1, Value::Bytes(d)) => domain = text(d)?,
                        (2, Value::Varint(v)) => version = v as i64,
                        _ => {}
                    }
                }
                info.opsets.push((domain, version));
            }
            (14, Value::Bytes(b)) => info.metadata.push(key_value(b)?),
            (n, _) if n == 0 || n > 64 => {
                return Err(OnnxError::NotOnnx(format!(
                    "unexpected field {n} in the model"
                )))
            }
            _ => {}
        }
    }
    let Some(graph) = graph else {
        return Err(OnnxError::NotOnnx("it has no graph".to_string()));
    };
    if !saw_ir || info.ir_version <= 0 || info.ir_version > 100 {
        return Err(OnnxError::NotOnnx("it has no valid ir_version".to_string()));
    }
    if info.opsets.is_empty() {
        return Err(OnnxError::NotOnnx(
            "it imports no opset (or the file is cut short)".to_string(),
        ));
    }
    read_graph(graph, &mut info)?;
    for (domain, _) in &info.opsets {
        if !STANDARD_DOMAINS.contains(&domain.as_str()) {
            info.custom_domains.insert(domain.clone());
        }
    }
    Ok(info)
}

fn read_graph(bytes: &[u8], info: &mut OnnxInfo) -> Result<(), OnnxError> {
    let mut initializers = BTreeSet::new();
    let mut inputs = Vec::new();
    for field in Fields::new(bytes) {
        match field?.pair() {
            (1, Value::Bytes(node)) => {
                info.nodes += 1;
                let (mut op, mut op_domain) = (String::new(), String::new());
                for f in Fields::new(node) {
                    match f?.pair() {
                        (4, Value::Bytes(t)) => op = text(t)?,
                        (7, Value::Bytes(d)) => {
                            let domain = text(d)?;
                            if !STANDARD_DOMAINS.contains(&domain.as_str()) {
                                info.custom_domains.insert(domain.clone());
                            }
                            op_domain = domain;
                        }
                        _ => {}
                    }
                }
                if !op.is_empty() {
                    info.operators
                        .insert(if matches!(op_domain.as_str(), "" | "ai.onnx") {
                            op
                        } else {
                            format!("{op_domain}:{op}")
                        });
                }
            }
            (2, Value::Bytes(b)) => info.graph_name = text(b)?,
            (5, Value::Bytes(tensor)) => {
                for f in Fields::new(tensor) {
                    match f?.pair() {
                        (8, Value::Bytes(name)) => {
                            initializers.insert(text(name)?);
                        }
                        (13, Value::Bytes(_)) | (14, Value::Varint(1)) => info.external_data = true,
                        _ => {}
                    }
                }
            }
            (11, Value::Bytes(b)) => inputs.push(value_info(b)?),
            (12, Value::Bytes(b)) => info.outputs.push(value_info(b)?),
            _ => {}
        }
    }
    // Before IR 4, initializers were listed among the inputs too.
    info.inputs = inputs
        .into_iter()
        .filter(|i| !initializers.contains(&i.name))
        .collect();
    Ok(())
}

pub(crate) fn value_info(bytes: &[u8]) -> Result<TensorInfo, OnnxError> {
    let mut t = TensorInfo {
        name: String::new(),
        elem_type: "unknown".to_string(),
        shape: Vec::new(),
    };
    for f in Fields::new(bytes) {
        match f?.pair() {
            (1, Value::Bytes(n)) => t.name = text(n)?,
            (2, Value::Bytes(type_proto)) => {
                for f in Fields::new(type_proto) {
                    // TypeProto.tensor_type
                    if let (1, Value::Bytes(tensor)) = f?.pair() {
                        for f in Fields::new(tensor) {
                            match f?.pair() {
                                (1, Value::Varint(e)) => t.elem_type = elem_type(e).to_string(),
                                (2, Value::Bytes(shape)) => {
                                    for dim in Fields::new(shape) {
                                        if let (1, Value::Bytes(d)) = dim?.pair() {
                                            t.shape.push(dimension(d)?);
                                        }
                                    }
                                }
                                _ => {}
                            }
                        }
                    }
                }
            }
            _ => {}
        }
    }
    Ok(t)
}

fn dimension(bytes: &[u8]) -> Result<String, OnnxError> {
    let mut out = "?".to_string();
    for f in Fields::new(bytes) {
        match f?.pair() {
            (1, Value::Varint(v)) => out = (v as i64).to_string(),
            (2, Value::Bytes(p)) => out = text(p)?,
            _ => {}
        }
    }
    Ok(out)
}

fn key_value(bytes: &[u8]) -> Result<(String, String), OnnxError> {
    let (mut k, mut v) = (String::new(), String::new());
    for f in Fields::new(bytes) {
        match f?.pair() {
            (1, Value::Bytes(b)) => k = text(b)?,
            (2, Value::Bytes(b)) => v = text(b)?,
            _ => {}
        }
    }
    Ok((k, v))
}

/// The ONNX `TensorProto.DataType` name.
pub fn elem_type(code: u64) -> &'static str {
    match code {
        1 => "float32",
        2 => "uint8",
        3 => "int8",
        4 => "uint16",
        5 => "int16",
        6 => "int32",
        7 => "int64",
        8 => "string",
        9 => "bool",
        10 => "float16",
        11 => "float64",
        12 => "uint32",
        13 => "uint64",
        14 => "complex64",
        15 => "complex128",
        16 => "bfloat16",
        17..=20 => "float8",
        21 => "uint4",
        22 => "int4",
        _ => "unknown",
    }
}

pub(crate) fn text(b: &[u8]) -> Result<String, OnnxError> {
    String::from_utf8(b.to_vec())
        .map_err(|_| OnnxError::NotOnnx("a string field is not UTF-8".to_string()))
}

/// A protobuf field's value, as the wire gives it.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Value<'a> {
    /// Wire type 0.
    Varint(u64),
    /// Wire type 5: four little-endian bytes.
    Fixed32(u32),
    /// Wire type 1: eight bytes, not decoded.
    Fixed64,
    /// Wire type 2: a string, message or packed repeated field.
    Bytes(&'a [u8]),
}

/// One field of a protobuf message.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Field<'a> {
    number: u64,
    value: Value<'a>,
}

impl<'a> Field<'a> {
    /// (field number, value).
    pub(crate) fn pair(self) -> (u64, Value<'a>) {
        (self.number, self.value)
    }
}

/// The fields of one protobuf message, in order; iteration stops after the first error.
pub(crate) struct Fields<'a> {
    bytes: &'a [u8],
    pos: usize,
    failed: bool,
}

impl<'a> Fields<'a> {
    /// The fields of `bytes`.
    pub(crate) fn new(bytes: &'a [u8]) -> Self {
        Self {
            bytes,
            pos: 0,
            failed: false,
        }
    }

    fn varint(&mut self) -> Result<u64, OnnxError> {
        let start = self.pos;
        let mut value = 0u64;
        for shift in (0..64).step_by(7) {
            let Some(&b) = self.bytes.get(self.pos) else {
                return Err(OnnxError::Truncated(start));
            };
            self.pos += 1;
            value |= u64::from(b & 0x7f) << shift;
            if b & 0x80 == 0 {
                return Ok(value);
            }
        }
        Err(OnnxError::NotOnnx(format!(
            "a varint at byte {start} is too long"
        )))
    }

    fn take(&mut self, n: usize, start: usize) -> Result<&'a [u8], OnnxError> {
        let end = self
            .pos
            .checked_add(n)
            .filter(|e| *e <= self.bytes.len())
            .ok_or(OnnxError::Truncated(start))?;
        let slice = &self.bytes[self.pos..end];
        self.pos = end;
        Ok(slice)
    }

    fn next_field(&mut self) -> Result<Field<'a>, OnnxError> {
        let start = self.pos;
        let key = self.varint()?;
        let number = key >> 3;
        let value = match key & 7 {
            0 => Value::Varint(self.varint()?),
            1 => {
                self.take(8, start)?;
                Value::Fixed64
            }
            2 => {
                let len =
                    usize::try_from(self.varint()?).map_err(|_| OnnxError::Truncated(start))?;
                Value::Bytes(self.take(len, start)?)
            }
            5 => {
                let b = self.take(4, start)?;
                Value::Fixed32(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
            }
            w => return Err(OnnxError::NotOnnx(format!("wire type {w} at byte {start}"))),
        };
        if number == 0 {
            return Err(OnnxError::NotOnnx(format!(
                "field number 0 at byte {start}"
            )));
        }
        Ok(Field { number, value })
    }
}

impl<'a> Iterator for Fields<'a> {
    type Item = Result<Field<'a>, OnnxError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed || self.pos >= self.bytes.len() {
            return None;
        }
        let r = self.next_field();
        self.failed = r.is_err();
        Some(r)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn varint(mut v: u64, out: &mut Vec<u8>) {
        loop {
            let b = (v & 0x7f) as u8;
            v >>= 7;
            if v == 0 {
                out.push(b);
                return;
            }
            out.push(b | 0x80);
        }
    }

    fn bytes_field(n: u64, b: &[u8], out: &mut Vec<u8>) {
        varint(n << 3 | 2, out);
        varint(b.len() as u64, out);
        out.extend_from_slice(b);
    }

    fn tiny_model() -> Vec<u8> {
        let mut dim_n = Vec::new();
        bytes_field(2, b"N", &mut dim_n);
        let mut dim_1 = Vec::new();
        varint(1 << 3, &mut dim_1);
        varint(1, &mut dim_1);
        let mut shape = Vec::new();
        bytes_field(1, &dim_n, &mut shape);
        bytes_field(1, &dim_1, &mut shape);
        let mut tensor = Vec::new();
        varint(1 << 3, &mut tensor);
        varint(1, &mut tensor);
        bytes_field(2, &shape, &mut tensor);
        let mut ty = Vec::new();
        bytes_field(1, &tensor, &mut ty);
        let mut vi = Vec::new();
        bytes_field(1, b"x", &mut vi);
        bytes_field(2, &ty, &mut vi);
        let mut node = Vec::new();
        bytes_field(4, b"Relu", &mut node);
        bytes_field(7, b"com.example", &mut node);
        let mut graph = Vec::new();
        bytes_field(1, &node, &mut graph);
        bytes_field(2, b"g", &mut graph);
        bytes_field(11, &vi, &mut graph);
        let mut opset = Vec::new();
        varint(2 << 3, &mut opset);
        varint(17, &mut opset);
        let mut model = Vec::new();
        varint(1 << 3, &mut model);
        varint(8, &mut model);
        bytes_field(2, b"hand", &mut model);
        bytes_field(7, &graph, &mut model);
        bytes_field(8, &opset, &mut model);
        model
    }

    #[test]
    fn reads_a_hand_built_model() {
        let info = read(&tiny_model()).expect("valid");
        assert_eq!(info.ir_version, 8);
        assert_eq!(info.producer_name, "hand");
        assert_eq!(info.graph_name, "g");
        assert_eq!(info.opsets, vec![(String::new(), 17)]);
        assert_eq!(
            info.inputs,
            vec![TensorInfo {
                name: "x".into(),
                elem_type: "float32".into(),
                shape: vec!["N".into(), "1".into()]
            }]
        );
        assert_eq!(
            info.custom_domains.into_iter().collect::<Vec<_>>(),
            vec!["com.example".to_string()]
        );
        assert_eq!(
            info.operators.into_iter().collect::<Vec<_>>(),
            vec!["com.example:Relu".to_string()],
            "an operator of another domain is named with it"
        );
    }

    #[test]
    fn every_truncation_is_an_error_not_a_panic() {
        let model = tiny_model();
        // The opset import is the last field: any shorter prefix lacks it or cuts a field.
        for cut in 0..model.len() {
            assert!(
                read(&model[..cut]).is_err(),
                "a model cut at {cut} bytes must not read"
            );
        }
    }

    #[test]
    fn text_is_not_a_model() {
        assert!(matches!(
            read(b"hello, this is not onnx"),
            Err(OnnxError::NotOnnx(_) | OnnxError::Truncated(_))
        ));
        assert!(read(b"").is_err());
    }
}
