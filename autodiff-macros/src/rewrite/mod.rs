//! Stage 2, rewrite: the function body -> the same body in the forms lowering knows, syntax
//! into syntax. Each pass documents its input and output shapes:
//!
//! 1. `statements`: `if c { s = x } else { s = -x }`, `0 => s += 1.0,` -> assignments as
//!    statements; `struct_fields`: a local struct literal used only through its fields -> a local per
//!    field; `tuple_vecs`: a `Vec` of tuples collected and read by index -> a `Vec` per element; `deferred`: `let y;` assigned at the end of every arm of the `if` after it -> `let y =
//!    if ..`; `closures`: local closures called in the body -> their bodies inlined at the calls;
//!    `matches`: a `match` whose arms bind names -> `if` chains; `methods`: `x.sin_cos()` ->
//!    `(x.sin(), x.cos())`; `patterns`: `let [a, b] = e;` ->
//!    reads by index; `components`: `v.z = h` of an nalgebra vector -> `v[2] = h`;
//!    `points`: `Point3::new(a, b, c)`, `p.coords`, `distance(&p, &q)` -> vectors of their
//!    coordinates, where every use means the same of both; `rotations`: `UnitQuaternion::from_scaled_axis(w)`, `Rotation3::from_euler_angles(..)` ->
//!    their rotation matrices, `q.inverse()` -> `q.transpose()`;
//!    `dynamic`: `m[(i, j)]`, `m.nrows()`, `x.dot(&y)` of `DMatrix` and `DVector` parameters ->
//!    reads of column-major slices and their dimensions; `nested_writes`: `a[i][j] = e`
//!    of a local array of arrays -> a write of the row; `tables`:
//!    `vec![vec![v; m]; n]` used as `t[i][j]` -> one buffer, `t[i * m + j]`; `typed_copies`:
//!    `let x = x0.to_vec();` of a sequence parameter -> `let x: Vec<E> = ..`;
//!    `whole_assignments`: `state = step(&state, dt);` of a buffer -> `state.copy_from_slice(..)`;
//! 2. `loop_labels`: labelled `break 'a`/`continue 'a` from inner loops -> flags and plain
//!    `break`s;
//! 3. `loop_returns`: `return` inside loops, and `let v = loop { .. break e; .. }` -> flags,
//!    `break`, and the return or value after the loop;
//! 4. `desugar`: iterator forms over sequences of floats, in-place methods and copies -> index
//!    loops and buffers.

pub mod buffer_types;
mod closures;
mod components;
mod deferred;
mod desugar;
mod dynamic;
mod loop_labels;
mod loop_returns;
mod matches;
mod methods;
mod nested_writes;
mod patterns;
mod points;
mod rotations;
mod statements;
mod struct_fields;
mod tables;
mod tuple_vecs;
mod typed_copies;
mod whole_assignments;

use crate::kind::Kind;
use crate::parse::FnDesc;

/// The body of `desc`, rewritten for lowering.
pub fn rewrite(desc: &FnDesc) -> syn::Block {
    let mut body = (*desc.item.block).clone();
    let kinds: Vec<(String, Kind, syn::Type)> =
        desc.params.iter().map(|p| (p.ident.to_string(), p.kind, p.ty.clone())).collect();
    let ret = match &desc.item.sig.output {
        syn::ReturnType::Type(_, t) => Some(&**t),
        syn::ReturnType::Default => None,
    };
    statements::rewrite(&mut body);
    deferred::rewrite(&mut body);
    struct_fields::rewrite(&mut body);
    tuple_vecs::rewrite(&mut body);
    closures::rewrite(&mut body);
    matches::rewrite(&mut body);
    methods::rewrite(&mut body);
    patterns::rewrite(&mut body);
    points::rewrite(&mut body, &kinds, ret, &desc.rt);
    rotations::rewrite(&mut body, &kinds, &desc.rt);
    components::rewrite(&mut body, &kinds);
    dynamic::rewrite(&mut body, &kinds);
    nested_writes::rewrite(&mut body, &kinds);
    tables::rewrite(&mut body, &kinds, &desc.rt);
    typed_copies::rewrite(&mut body, &kinds);
    whole_assignments::rewrite(&mut body, &desc.rt);
    loop_labels::rewrite(&mut body);
    loop_returns::rewrite(&mut body, &desc.rt);
    desugar::desugar(&mut body, &kinds, ret, &desc.rt);
    body
}
