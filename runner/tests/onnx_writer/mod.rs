//! A small writer of ONNX protobuf, enough to build hostile models in tests without a
//! Python toolchain: every message is written field by field from onnx.proto3's field
//! numbers. Shared by `runner/tests/hostile_onnx.rs` and the CLI's
//! `tests/hostile_models.rs`.
#![allow(dead_code, reason = "each test binary uses a different part")]

/// `TensorProto.DataType` codes used here.
pub const FLOAT: u64 = 1;
/// int64.
pub const INT64: u64 = 7;
/// bool.
pub const BOOL: u64 = 9;

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

fn key(n: u64, wire: u64, out: &mut Vec<u8>) {
    varint(n << 3 | wire, out);
}

fn bytes_field(n: u64, b: &[u8], out: &mut Vec<u8>) {
    key(n, 2, out);
    varint(b.len() as u64, out);
    out.extend_from_slice(b);
}

fn int_field(n: u64, v: i64, out: &mut Vec<u8>) {
    key(n, 0, out);
    varint(v as u64, out);
}

/// A dimension: a number, or a symbolic name.
#[derive(Debug, Clone)]
pub enum Dim {
    /// `dim_value`.
    Fixed(i64),
    /// `dim_param`.
    Named(&'static str),
}

/// `ValueInfoProto` of a tensor; `shape: None` leaves the shape out.
pub fn value_info(name: &str, elem: u64, shape: Option<&[Dim]>) -> Vec<u8> {
    let mut tensor = Vec::new();
    int_field(1, elem as i64, &mut tensor);
    if let Some(shape) = shape {
        let mut s = Vec::new();
        for d in shape {
            let mut dim = Vec::new();
            match d {
                Dim::Fixed(v) => int_field(1, *v, &mut dim),
                Dim::Named(p) => bytes_field(2, p.as_bytes(), &mut dim),
            }
            bytes_field(1, &dim, &mut s);
        }
        bytes_field(2, &s, &mut tensor);
    }
    let mut ty = Vec::new();
    bytes_field(1, &tensor, &mut ty);
    let mut vi = Vec::new();
    bytes_field(1, name.as_bytes(), &mut vi);
    bytes_field(2, &ty, &mut vi);
    vi
}

/// A `TensorProto` holding int64 values (in `int64_data`).
pub fn int64_tensor(name: &str, dims: &[i64], values: &[i64]) -> Vec<u8> {
    let mut t = Vec::new();
    for d in dims {
        int_field(1, *d, &mut t);
    }
    int_field(2, INT64 as i64, &mut t);
    let mut packed = Vec::new();
    for v in values {
        varint(*v as u64, &mut packed);
    }
    bytes_field(7, &packed, &mut t);
    if !name.is_empty() {
        bytes_field(8, name.as_bytes(), &mut t);
    }
    t
}

/// A `TensorProto` holding float values (in `raw_data`).
pub fn float_tensor(name: &str, dims: &[i64], values: &[f32]) -> Vec<u8> {
    let mut t = Vec::new();
    for d in dims {
        int_field(1, *d, &mut t);
    }
    int_field(2, FLOAT as i64, &mut t);
    if !name.is_empty() {
        bytes_field(8, name.as_bytes(), &mut t);
    }
    let raw: Vec<u8> = values.iter().flat_map(|v| v.to_le_bytes()).collect();
    bytes_field(9, &raw, &mut t);
    t
}

/// A `TensorProto` holding one bool (in `int32_data`).
pub fn bool_tensor(name: &str, value: bool) -> Vec<u8> {
    let mut t = Vec::new();
    int_field(2, BOOL as i64, &mut t);
    let mut packed = Vec::new();
    varint(u64::from(value), &mut packed);
    bytes_field(5, &packed, &mut t);
    if !name.is_empty() {
        bytes_field(8, name.as_bytes(), &mut t);
    }
    t
}

/// An attribute of a node.
#[derive(Debug, Clone)]
pub enum Attr {
    /// `i`.
    Int(i64),
    /// `ints`.
    Ints(Vec<i64>),
    /// `f`.
    Float(f32),
    /// `t`: the bytes of a TensorProto.
    Tensor(Vec<u8>),
    /// `g`: the bytes of a GraphProto.
    Graph(Vec<u8>),
}

/// A `NodeProto`.
pub fn node(op: &str, inputs: &[&str], outputs: &[&str], attrs: &[(&str, Attr)]) -> Vec<u8> {
    let mut n = Vec::new();
    for i in inputs {
        bytes_field(1, i.as_bytes(), &mut n);
    }
    for o in outputs {
        bytes_field(2, o.as_bytes(), &mut n);
    }
    bytes_field(4, op.as_bytes(), &mut n);
    for (name, attr) in attrs {
        let mut a = Vec::new();
        bytes_field(1, name.as_bytes(), &mut a);
        let ty = match attr {
            Attr::Float(f) => {
                key(2, 5, &mut a);
                a.extend_from_slice(&f.to_le_bytes());
                1
            }
            Attr::Int(i) => {
                int_field(3, *i, &mut a);
                2
            }
            Attr::Tensor(t) => {
                bytes_field(5, t, &mut a);
                4
            }
            Attr::Graph(g) => {
                bytes_field(6, g, &mut a);
                5
            }
            Attr::Ints(is) => {
                for i in is {
                    int_field(8, *i, &mut a);
                }
                7
            }
        };
        int_field(20, ty, &mut a);
        bytes_field(5, &a, &mut n);
    }
    n
}

/// A `GraphProto`.
pub fn graph(
    name: &str,
    nodes: &[Vec<u8>],
    initializers: &[Vec<u8>],
    inputs: &[Vec<u8>],
    outputs: &[Vec<u8>],
) -> Vec<u8> {
    let mut g = Vec::new();
    for n in nodes {
        bytes_field(1, n, &mut g);
    }
    bytes_field(2, name.as_bytes(), &mut g);
    for t in initializers {
        bytes_field(5, t, &mut g);
    }
    for i in inputs {
        bytes_field(11, i, &mut g);
    }
    for o in outputs {
        bytes_field(12, o, &mut g);
    }
    g
}

/// A `ModelProto` of IR version 8 importing the default opset 13.
pub fn model(graph: &[u8]) -> Vec<u8> {
    let mut m = Vec::new();
    int_field(1, 8, &mut m);
    bytes_field(2, b"clic-tests", &mut m);
    bytes_field(7, graph, &mut m);
    let mut opset = Vec::new();
    bytes_field(1, b"", &mut opset);
    int_field(2, 13, &mut opset);
    bytes_field(8, &opset, &mut m);
    m
}

/// The standard image input: float32 `[N, 1, 64, 64]` named `image`.
pub fn image_input() -> Vec<u8> {
    value_info(
        "image",
        FLOAT,
        Some(&[
            Dim::Named("N"),
            Dim::Fixed(1),
            Dim::Fixed(64),
            Dim::Fixed(64),
        ]),
    )
}

/// Nodes turning `image` into `mean` (`[N, 1]`, the mean of each image).
pub fn mean_of_image() -> Vec<Vec<u8>> {
    vec![
        node(
            "ReduceMean",
            &["image"],
            &["mean4"],
            &[
                ("axes", Attr::Ints(vec![1, 2, 3])),
                ("keepdims", Attr::Int(1)),
            ],
        ),
        node("Flatten", &["mean4"], &["mean"], &[("axis", Attr::Int(1))]),
    ]
}

/// A model: `image` -> `nodes` (which must produce `out`) -> output `out` of type `elem`
/// and `shape`.
pub fn image_model(
    nodes: Vec<Vec<u8>>,
    initializers: &[Vec<u8>],
    out: &str,
    elem: u64,
    shape: Option<&[Dim]>,
) -> Vec<u8> {
    let mut all = mean_of_image();
    all.extend(nodes);
    model(&graph(
        "hostile",
        &all,
        initializers,
        &[image_input()],
        &[value_info(out, elem, shape)],
    ))
}

/// `[N, 1]`.
pub fn batch_by_one() -> [Dim; 2] {
    [Dim::Named("N"), Dim::Fixed(1)]
}

/// The body of a `Loop` that adds 1 to its one carried float per iteration and always
/// goes on: inputs `i` (int64), `cond_in` (bool), `v_in` (float).
pub fn adding_loop_body() -> Vec<u8> {
    graph(
        "body",
        &[
            node("Identity", &["cond_in"], &["cond_out"], &[]),
            node("Add", &["v_in", "one"], &["v_out"], &[]),
        ],
        &[float_tensor("one", &[], &[1.0])],
        &[
            value_info("i", INT64, Some(&[])),
            value_info("cond_in", BOOL, Some(&[])),
            value_info("v_in", FLOAT, Some(&[])),
        ],
        &[
            value_info("cond_out", BOOL, Some(&[])),
            value_info("v_out", FLOAT, Some(&[])),
        ],
    )
}
