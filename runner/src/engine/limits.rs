//! What a model may ask of the machine, checked on the graph before any backend sees it.
//!
//! A backend trusts the graph: tract aborts the process when a `ConstantOfShape` asks for
//! 2^31 elements (an allocation failure cannot be caught), and ONNX Runtime runs a `Loop`
//! of 10^12 iterations until it is killed. So clic reads the graph first (its own
//! protobuf reader, [`crate::facts::artifact::onnx`]) and refuses what it can prove is
//! too big: every tensor whose size is statically known — initializers, `Constant`
//! values, and the outputs of `ConstantOfShape`, `Expand`, `Tile`, `Reshape`, `Range`
//! and `Resize` whose shape inputs are constants (followed through `Identity`, `Cast`,
//! `Concat`, `Shape`, `Squeeze`/`Unsqueeze`, `Add`, `Sub` and `Mul`) — and every `Loop`
//! whose trip count is a constant. The `Shape` of a graph input counts its symbolic
//! dimensions (the batch) as 1: a lower bound, which still proves a size too big. Subgraphs (`Loop`, `If`, `Scan` bodies) and the
//! model's local functions are read too.
//!
//! What only the data decides (a trip count computed from the input) cannot be proved
//! here: the per-batch time budget ([`super::batch_timeout`]) stops that.

use crate::facts::artifact::onnx::{text, value_info, Fields, OnnxError, Value};
use std::collections::HashMap;

/// The most elements a tensor may have: 2^28, 1 GiB of float32. The activations of a
/// large CNN on a batch of 64 stay well under it.
pub const MAX_TENSOR_ELEMENTS: f64 = (1u64 << 28) as f64;

/// The most iterations a `Loop` with a constant trip count may run: 2^20.
pub const MAX_LOOP_ITERATIONS: f64 = (1u64 << 20) as f64;

/// How deep subgraphs may nest (a `Loop` in an `If` in a `Loop` ...).
pub const MAX_SUBGRAPH_DEPTH: usize = 16;

/// Constant values are followed only while they stay this small (shapes and scalars).
const MAX_TRACKED: usize = 4096;

use super::EngineError;

/// Checks a model's bytes against the limits above.
pub fn check(model: &[u8]) -> Result<(), EngineError> {
    let mut walker = Walker::default();
    walker.model(model).map_err(|e| match e {
        Refusal::Limit(m) => EngineError::Limit(m),
        Refusal::Malformed(e) => EngineError::Load(e.to_string()),
    })
}

enum Refusal {
    Limit(String),
    Malformed(OnnxError),
}

impl From<OnnxError> for Refusal {
    fn from(e: OnnxError) -> Self {
        Refusal::Malformed(e)
    }
}

type R<T> = Result<T, Refusal>;

/// A tensor as far as it is known: its dimensions, and its values while small.
#[derive(Debug, Clone, Default)]
struct Known {
    dims: Option<Vec<f64>>,
    values: Option<Vec<f64>>,
    /// The numbers are lower bounds, not exact: they come from a graph input's symbolic
    /// dimension (the batch, at least 1). A size whose lower bound is past a limit is
    /// past it; nothing is concluded from a lower bound that could be negative.
    lower: bool,
}

#[derive(Default)]
struct Walker {
    /// Statically known tensors by name. Names are global: a subgraph sees its outer
    /// scope, and a shadowing name at worst hides a constant (the time budget remains).
    known: HashMap<String, Known>,
}

fn product(dims: &[f64]) -> f64 {
    dims.iter().product()
}

fn too_many(what: &str, elements: f64) -> Refusal {
    Refusal::Limit(format!(
        "{what} would hold {elements:.0} elements; clic refuses tensors of more than {MAX_TENSOR_ELEMENTS:.0} elements (1 GiB of float32)"
    ))
}

struct Node<'a> {
    op: String,
    name: String,
    inputs: Vec<String>,
    outputs: Vec<String>,
    attributes: Vec<&'a [u8]>,
}

impl Node<'_> {
    fn shown(&self) -> String {
        let name = if self.name.is_empty() {
            self.outputs.first().map_or("", String::as_str)
        } else {
            &self.name
        };
        format!("the `{}` node `{name}`", self.op)
    }
}

/// An attribute as far as clic needs it.
#[derive(Default)]
struct Attribute<'a> {
    name: String,
    int: Option<i64>,
    float: Option<f32>,
    ints: Vec<i64>,
    tensor: Option<&'a [u8]>,
    graphs: Vec<&'a [u8]>,
}

fn attribute(bytes: &[u8]) -> R<Attribute<'_>> {
    let mut a = Attribute::default();
    for f in Fields::new(bytes) {
        match f?.pair() {
            (1, Value::Bytes(b)) => a.name = text(b)?,
            (2, Value::Fixed32(v)) => a.float = Some(f32::from_bits(v)),
            (3, Value::Varint(v)) => a.int = Some(v as i64),
            (5, Value::Bytes(t)) => a.tensor = Some(t),
            (6 | 11, Value::Bytes(g)) => a.graphs.push(g),
            (8, Value::Varint(v)) => a.ints.push(v as i64),
            (8, Value::Bytes(packed)) => a.ints.extend(varints(packed)?.map(|v| v as i64)),
            _ => {}
        }
    }
    Ok(a)
}

fn varints(packed: &[u8]) -> R<impl Iterator<Item = u64>> {
    let mut out = Vec::new();
    let mut value = 0u64;
    let mut shift = 0;
    for &b in packed {
        if shift >= 64 {
            return Err(OnnxError::NotOnnx("a packed varint is too long".to_string()).into());
        }
        value |= u64::from(b & 0x7f) << shift;
        if b & 0x80 == 0 {
            out.push(value);
            value = 0;
            shift = 0;
        } else {
            shift += 7;
        }
    }
    Ok(out.into_iter())
}

/// A `TensorProto`'s name, dimensions and (when small and numeric) values.
fn tensor(bytes: &[u8]) -> R<(String, Known)> {
    let mut name = String::new();
    let mut dims = Vec::new();
    let mut data_type = 0;
    let mut ints: Vec<f64> = Vec::new();
    let mut floats: Vec<f64> = Vec::new();
    let mut raw: Option<&[u8]> = None;
    for f in Fields::new(bytes) {
        match f?.pair() {
            (1, Value::Varint(d)) => dims.push(d as i64 as f64),
            (1, Value::Bytes(p)) => dims.extend(varints(p)?.map(|d| d as i64 as f64)),
            (2, Value::Varint(t)) => data_type = t,
            (5 | 7, Value::Varint(v)) if ints.len() <= MAX_TRACKED => ints.push(v as i64 as f64),
            (5 | 7, Value::Bytes(p)) if p.len() <= 10 * MAX_TRACKED => {
                ints.extend(varints(p)?.map(|v| v as i64 as f64));
            }
            (4, Value::Fixed32(v)) if floats.len() <= MAX_TRACKED => {
                floats.push(f64::from(f32::from_bits(v)));
            }
            (4, Value::Bytes(p)) if p.len() <= 4 * MAX_TRACKED => floats.extend(
                p.chunks_exact(4)
                    .map(|c| f64::from(f32::from_le_bytes([c[0], c[1], c[2], c[3]]))),
            ),
            (8, Value::Bytes(b)) => name = text(b)?,
            (9, Value::Bytes(b)) => raw = Some(b),
            _ => {}
        }
    }
    let count = product(&dims);
    let values = if count > MAX_TRACKED as f64 {
        None
    } else if let Some(raw) = raw.filter(|r| r.len() <= 8 * MAX_TRACKED) {
        match data_type {
            1 => Some(
                raw.chunks_exact(4)
                    .map(|c| f64::from(f32::from_le_bytes([c[0], c[1], c[2], c[3]])))
                    .collect(),
            ),
            6 => Some(
                raw.chunks_exact(4)
                    .map(|c| f64::from(i32::from_le_bytes([c[0], c[1], c[2], c[3]])))
                    .collect(),
            ),
            7 => Some(
                raw.chunks_exact(8)
                    .map(|c| {
                        let mut b = [0u8; 8];
                        b.copy_from_slice(c);
                        i64::from_le_bytes(b) as f64
                    })
                    .collect(),
            ),
            _ => None,
        }
    } else if !ints.is_empty() && matches!(data_type, 6 | 7) {
        Some(ints)
    } else if !floats.is_empty() && data_type == 1 {
        Some(floats)
    } else {
        None
    };
    Ok((
        name,
        Known {
            dims: Some(dims),
            values,
            lower: false,
        },
    ))
}

impl Walker {
    fn model(&mut self, bytes: &[u8]) -> R<()> {
        for f in Fields::new(bytes) {
            match f?.pair() {
                (7, Value::Bytes(g)) => self.graph(g, 0)?,
                // FunctionProto: its nodes (field 7) run wherever the function is called.
                (25, Value::Bytes(function)) => {
                    for f in Fields::new(function) {
                        if let (7, Value::Bytes(node)) = f?.pair() {
                            self.node(node, 1)?;
                        }
                    }
                }
                _ => {}
            }
        }
        Ok(())
    }

    fn graph(&mut self, bytes: &[u8], depth: usize) -> R<()> {
        if depth > MAX_SUBGRAPH_DEPTH {
            return Err(Refusal::Limit(format!(
                "subgraphs nest deeper than {MAX_SUBGRAPH_DEPTH} levels"
            )));
        }
        // Inputs' shapes (a symbolic dimension is at least 1), then the initializers
        // (which IR 3 also lists as inputs): nodes may name them before they appear.
        for f in Fields::new(bytes) {
            if let (11, Value::Bytes(vi)) = f?.pair() {
                let t = value_info(vi)?;
                let dims: Vec<Option<f64>> =
                    t.shape.iter().map(|d| d.parse::<f64>().ok()).collect();
                let lower = dims.iter().any(Option::is_none);
                self.known.insert(
                    t.name,
                    Known {
                        dims: Some(dims.into_iter().map(|d| d.unwrap_or(1.0)).collect()),
                        values: None,
                        lower,
                    },
                );
            }
        }
        for f in Fields::new(bytes) {
            if let (5, Value::Bytes(t)) = f?.pair() {
                self.constant_tensor(t, "an initializer")?;
            }
        }
        for f in Fields::new(bytes) {
            if let (1, Value::Bytes(node)) = f?.pair() {
                self.node(node, depth)?;
            }
        }
        Ok(())
    }

    fn constant_tensor(&mut self, t: &[u8], what: &str) -> R<Known> {
        let (name, known) = tensor(t)?;
        let count = known.dims.as_deref().map_or(0.0, product);
        if count > MAX_TENSOR_ELEMENTS {
            return Err(too_many(&format!("{what} `{name}`"), count));
        }
        if !name.is_empty() {
            self.known.insert(name, known.clone());
        }
        Ok(known)
    }

    fn values(&self, name: Option<&String>) -> Option<&[f64]> {
        self.known.get(name?)?.values.as_deref()
    }

    fn node(&mut self, bytes: &[u8], depth: usize) -> R<()> {
        let mut node = Node {
            op: String::new(),
            name: String::new(),
            inputs: Vec::new(),
            outputs: Vec::new(),
            attributes: Vec::new(),
        };
        for f in Fields::new(bytes) {
            match f?.pair() {
                (1, Value::Bytes(b)) => node.inputs.push(text(b)?),
                (2, Value::Bytes(b)) => node.outputs.push(text(b)?),
                (3, Value::Bytes(b)) => node.name = text(b)?,
                (4, Value::Bytes(b)) => node.op = text(b)?,
                (5, Value::Bytes(b)) => node.attributes.push(b),
                _ => {}
            }
        }
        let mut attributes = Vec::with_capacity(node.attributes.len());
        for a in &node.attributes {
            let a = attribute(a)?;
            for g in &a.graphs {
                self.graph(g, depth + 1)?;
            }
            attributes.push(a);
        }
        if node.op == "Constant" {
            let mut out = None;
            for a in &attributes {
                let known = match (a.name.as_str(), a.tensor) {
                    ("value", Some(t)) => {
                        Some(self.constant_tensor(t, &format!("the value of {}", node.shown()))?)
                    }
                    ("value_int", _) => a.int.map(|i| Known {
                        dims: Some(Vec::new()),
                        values: Some(vec![i as f64]),
                        lower: false,
                    }),
                    ("value_ints", _) => Some(Known {
                        dims: Some(vec![a.ints.len() as f64]),
                        values: Some(a.ints.iter().map(|&i| i as f64).collect()),
                        lower: false,
                    }),
                    ("value_float", _) => a.float.map(|f| Known {
                        dims: Some(Vec::new()),
                        values: Some(vec![f64::from(f)]),
                        lower: false,
                    }),
                    _ => None,
                };
                if known.is_some() {
                    out = known;
                }
            }
            if let (Some(k), Some(name)) = (out, node.outputs.first()) {
                self.known.insert(name.clone(), k);
            }
            return Ok(());
        }
        let input = |i: usize| self.values(node.inputs.get(i).filter(|n| !n.is_empty()));
        // Whether input `i`'s numbers are only lower bounds.
        let low = |i: usize| {
            node.inputs
                .get(i)
                .and_then(|n| self.known.get(n))
                .is_some_and(|k| k.lower)
        };
        // A lower bound says something about a size only while it is not negative.
        let usable = |i: usize, v: &[f64]| !low(i) || v.iter().all(|x| *x >= 0.0);
        let mut out: Option<Known> = None;
        match node.op.as_str() {
            "ConstantOfShape" | "Expand" => {
                let at = usize::from(node.op == "Expand");
                if let Some(shape) = input(at).filter(|v| usable(at, v)) {
                    let count = product(shape);
                    if count > MAX_TENSOR_ELEMENTS || count.is_nan() {
                        return Err(too_many(&format!("the output of {}", node.shown()), count));
                    }
                    // Expand broadcasts: its output is at least the shape it is given.
                    out = Some(Known {
                        dims: Some(shape.to_vec()),
                        values: None,
                        lower: low(at) || node.op == "Expand",
                    });
                }
            }
            "Tile" => {
                if let Some(repeats) = input(1).filter(|v| usable(1, v)) {
                    let base = self
                        .known
                        .get(node.inputs.first().map_or("", String::as_str))
                        .and_then(|k| k.dims.as_deref())
                        .map_or(1.0, product);
                    let count = product(repeats) * base;
                    if count > MAX_TENSOR_ELEMENTS {
                        return Err(too_many(&format!("the output of {}", node.shown()), count));
                    }
                }
            }
            "Reshape" | "Resize" | "Upsample" => {
                let shape = if node.op == "Reshape" {
                    input(1)
                } else {
                    input(3)
                };
                if let Some(shape) = shape {
                    let count: f64 = shape.iter().filter(|d| **d > 0.0).product();
                    if count > MAX_TENSOR_ELEMENTS {
                        return Err(too_many(&format!("the output of {}", node.shown()), count));
                    }
                }
                if node.op == "Reshape" {
                    out = input(0).map(|v| Known {
                        dims: None,
                        values: Some(v.to_vec()),
                        lower: low(0),
                    });
                }
            }
            "Range" => {
                if let (Some([start]), Some([limit]), Some([delta]), false) =
                    (input(0), input(1), input(2), low(0) || low(1) || low(2))
                {
                    let count = ((limit - start) / delta).ceil().max(0.0);
                    if *delta == 0.0 || count > MAX_TENSOR_ELEMENTS || count.is_nan() {
                        return Err(too_many(&format!("the output of {}", node.shown()), count));
                    }
                }
            }
            "Loop" => {
                if let Some([trips]) = input(0).filter(|v| usable(0, v)) {
                    if *trips > MAX_LOOP_ITERATIONS {
                        return Err(Refusal::Limit(format!(
                            "{} would run {trips:.0} iterations; clic refuses loops of more than {MAX_LOOP_ITERATIONS:.0} iterations",
                            node.shown()
                        )));
                    }
                }
            }
            "Identity" | "Cast" | "Squeeze" | "Unsqueeze" | "Flatten" => {
                out = input(0).map(|v| Known {
                    dims: None,
                    values: Some(v.to_vec()),
                    lower: low(0),
                });
            }
            "Shape" => {
                out = self
                    .known
                    .get(node.inputs.first().map_or("", String::as_str))
                    .and_then(|k| Some((k.dims.clone()?, k.lower)))
                    .map(|(d, lower)| Known {
                        dims: Some(vec![d.len() as f64]),
                        values: Some(d),
                        lower,
                    });
            }
            "Concat" => {
                let parts: Option<Vec<&[f64]>> = (0..node.inputs.len()).map(input).collect();
                if let Some(parts) = parts.filter(|p| !p.is_empty()) {
                    let v: Vec<f64> = parts.concat();
                    if v.len() <= MAX_TRACKED {
                        out = Some(Known {
                            dims: Some(vec![v.len() as f64]),
                            values: Some(v),
                            lower: (0..node.inputs.len()).any(low),
                        });
                    }
                }
            }
            "Add" | "Sub" | "Mul" => {
                let lower = low(0) || low(1);
                // a - b from a lower bound of b, or a product with a negative factor,
                // bounds nothing.
                let bounded = |a: &[f64], b: &[f64]| match node.op.as_str() {
                    "Sub" => !low(1),
                    "Mul" => !lower || a.iter().chain(b).all(|x| *x >= 0.0),
                    _ => true,
                };
                let pair = match (input(0), input(1)) {
                    (Some(a), Some(b)) if bounded(a, b) => Some((a, b)),
                    _ => None,
                };
                if let Some((a, b)) = pair {
                    let n = a.len().max(b.len());
                    if (a.len() == n || a.len() == 1) && (b.len() == n || b.len() == 1) && n > 0 {
                        let at = |v: &[f64], i: usize| v[if v.len() == 1 { 0 } else { i }];
                        let v = (0..n)
                            .map(|i| match node.op.as_str() {
                                "Add" => at(a, i) + at(b, i),
                                "Sub" => at(a, i) - at(b, i),
                                _ => at(a, i) * at(b, i),
                            })
                            .collect();
                        out = Some(Known {
                            dims: None,
                            values: Some(v),
                            lower,
                        });
                    }
                }
            }
            _ => {}
        }
        if let (Some(k), Some(name)) = (out, node.outputs.first()) {
            self.known.insert(name.clone(), k);
        }
        Ok(())
    }
}
