//! `Display` like PyTorch's print: `tensor([[1., 2.],\n        [3., 4.]])`, four decimals
//! unless every value is whole, and the dtype named when it is not the default `f32`.

use super::core::{DType, Tensor};
use std::fmt;

impl fmt::Display for Tensor {
    /// ```
    /// let t = autodiff_runtime::Tensor::from_vec(vec![1.0f32, 2.0, 3.0, 4.5], &[2, 2]);
    /// assert_eq!(t.to_string(), "tensor([[1.0000, 2.0000],\n        [3.0000, 4.5000]])");
    /// assert_eq!(autodiff_runtime::Tensor::scalar(3.0f64).to_string(), "tensor(3., dtype=f64)");
    /// ```
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let values = self.to_vec::<f64>();
        let whole = values.iter().all(|v| v.fract() == 0.0 && v.is_finite());
        let text: Vec<String> = values
            .iter()
            .map(|v| if whole { format!("{v}.") } else { format!("{v:.4}") })
            .collect();
        let width = text.iter().map(String::len).max().unwrap_or(0);
        let mut out = String::from("tensor(");
        if self.shape.is_empty() {
            out.push_str(text.first().map_or("", String::as_str));
        } else {
            nested(&mut out, &text, &self.shape, 0, width, 7);
        }
        if self.dtype() == DType::F64 {
            out.push_str(", dtype=f64");
        }
        if self.device() != crate::Device::Cpu {
            out.push_str(&format!(", device='{}'", self.device()));
        }
        out.push(')');
        f.write_str(&out)
    }
}

/// Writes the sub-array at `start` of `shape` with brackets, one row of the last dimension per
/// line, indented to line up under the first bracket.
fn nested(
    out: &mut String,
    text: &[String],
    shape: &[usize],
    start: usize,
    width: usize,
    indent: usize,
) {
    out.push('[');
    let count = shape[0];
    let stride: usize = shape[1..].iter().product();
    for i in 0..count {
        if shape.len() == 1 {
            out.push_str(&format!("{:>width$}", text[start + i]));
            if i + 1 < count {
                out.push_str(", ");
            }
        } else {
            nested(out, text, &shape[1..], start + i * stride, width, indent + 1);
            if i + 1 < count {
                out.push(',');
                out.push_str(&"\n".repeat(shape.len() - 1));
                out.push_str(&" ".repeat(indent + 1));
            }
        }
    }
    out.push(']');
}
