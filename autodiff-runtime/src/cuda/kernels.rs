//! The launches of our kernels (`autodiff-runtime/kernels/*.cu`) and of cuBLAS's gemm: every
//! tensor operation on a GPU comes down to these. Operands are on one device and of one dtype
//! (the tensor layer moves and casts first); each launch allocates its result on the device.

use super::storage::{Buf, CudaStorage, GpuElement, with_buf};
use crate::tensor::{Binary, DType, Reduce, Unary};
use crate::{Error, Real};
use cudarc::cublas::{Gemm, GemmConfig, StridedBatchedConfig, sys::cublasOperation_t};
use cudarc::driver::{DeviceRepr, LaunchConfig, PushKernelArg};

/// Threads per block of the elementwise kernels (a power of two, as `reduce_rows` needs).
const BLOCK: u32 = 256;

/// Enough blocks of [`BLOCK`] threads for `n` elements (the kernels loop over the rest).
fn config(n: usize) -> LaunchConfig {
    let blocks = n.div_ceil(BLOCK as usize).clamp(1, 1 << 20) as u32;
    LaunchConfig { grid_dim: (blocks, 1, 1), block_dim: (BLOCK, 1, 1), shared_mem_bytes: 0 }
}

/// The kernel's code and parameter of a unary operation (see `unary_op` in elementwise.cu).
fn unary_code(op: Unary) -> (i32, f64) {
    match op {
        Unary::Neg => (0, 0.0),
        Unary::Relu => (1, 0.0),
        Unary::Sigmoid => (2, 0.0),
        Unary::Tanh => (3, 0.0),
        Unary::Exp => (4, 0.0),
        Unary::Ln => (5, 0.0),
        Unary::Sin => (6, 0.0),
        Unary::Cos => (7, 0.0),
        Unary::Sqrt => (8, 0.0),
        Unary::Abs => (9, 0.0),
        Unary::Sign => (10, 0.0),
        Unary::Step => (11, 0.0),
        Unary::Powi(n) => (12, f64::from(n)),
        Unary::Powf(p) => (13, p),
        Unary::AddScalar(s) => (14, s),
        Unary::SubScalar(s) => (15, s),
        Unary::ScalarSub(s) => (16, s),
        Unary::MulScalar(s) => (17, s),
        Unary::DivScalar(s) => (18, s),
        Unary::ScalarDiv(s) => (19, s),
    }
}

/// The kernel's code of a binary operation (see `binary_op` in elementwise.cu).
fn binary_code(op: Binary) -> i32 {
    match op {
        Binary::Add => 0,
        Binary::Sub => 1,
        Binary::Mul => 2,
        Binary::Div => 3,
        Binary::Eq => 4,
    }
}

/// The dimensions a broadcast kernel handles (the `Layout` struct in elementwise.cu).
pub(crate) const MAX_DIMS: usize = 8;

/// The output's sizes, then each operand's strides: elementwise.cu's `Layout`.
#[repr(C)]
#[derive(Clone, Copy)]
struct Layout {
    v: [u64; 3 * MAX_DIMS],
}

// SAFETY: `Layout` is `#[repr(C)]` plain data with the layout of the kernels' `struct Layout
// { unsigned long long v[24]; }`, passed by value.
unsafe impl DeviceRepr for Layout {}

impl CudaStorage {
    /// The slice of this buffer as `E`.
    fn slice<E: GpuElement>(&self) -> Result<&cudarc::driver::CudaSlice<E>, Error> {
        E::unwrap(&self.buf)
            .ok_or_else(|| self.gpu.error("kernel", "internal error: dtype differs"))
    }

    /// `f(x)` elementwise.
    pub(crate) fn unary(&self, op: Unary) -> Result<CudaStorage, Error> {
        let (code, p) = unary_code(op);
        with_buf!(&self.buf, |x: T| {
            let n = x.len();
            let mut y = CudaStorage::alloc::<T>(&self.gpu, n)?;
            if n > 0 {
                let f = self.gpu.function(&format!("unary_{}", T::SUFFIX))?;
                let (n64, p) = (n as u64, T::from_f64(p));
                let mut launch = self.gpu.stream.launch_builder(f);
                launch.arg(&code).arg(&n64).arg(x).arg(&mut y).arg(&p);
                // SAFETY: unary_T(int, u64 n, const T* x, T* y, T p): `x` and `y` hold `n`
                // elements each; the kernel reads x[i] and writes y[i] for i < n.
                unsafe { launch.launch(config(n)) }
                    .map_err(|e| self.gpu.error("unary kernel", e))?;
            }
            Ok(CudaStorage::new(self.gpu.clone(), y))
        })
    }

    /// `a op b` with broadcasting: `out` is the broadcast shape, `sa`/`sb` the operands' shapes.
    /// Both operands have this dtype and device.
    pub(crate) fn binary(
        &self,
        sa: &[usize],
        other: &CudaStorage,
        sb: &[usize],
        out: &[usize],
        op: Binary,
    ) -> Result<CudaStorage, Error> {
        let code = binary_code(op);
        let n: usize = out.iter().product();
        let gpu = &self.gpu;
        with_buf!(&self.buf, |a: T| {
            let b = other.slice::<T>()?;
            let mut y = CudaStorage::alloc::<T>(gpu, n)?;
            if n == 0 {
                return Ok(CudaStorage::new(gpu.clone(), y));
            }
            let n64 = n as u64;
            if sa == sb {
                let f = gpu.function(&format!("binary_same_{}", T::SUFFIX))?;
                let mut launch = gpu.stream.launch_builder(f);
                launch.arg(&code).arg(&n64).arg(a).arg(b).arg(&mut y);
                // SAFETY: binary_same_T(int, u64 n, const T* a, const T* b, T* y): all three
                // hold `n` elements (one shape).
                unsafe { launch.launch(config(n)) }.map_err(|e| gpu.error("binary kernel", e))?;
            } else {
                let layout = layout(sa, sb, out).ok_or_else(|| {
                    gpu.error("binary kernel", format!("more than {MAX_DIMS} dimensions"))
                })?;
                let ndim = out.len() as i32;
                let f = gpu.function(&format!("binary_strided_{}", T::SUFFIX))?;
                let mut launch = gpu.stream.launch_builder(f);
                launch.arg(&code).arg(&n64).arg(&ndim).arg(&layout).arg(a).arg(b).arg(&mut y);
                // SAFETY: binary_strided_T(int, u64 n, int ndim, Layout, a, b, y): `y` holds
                // `n` = product of `out` elements; the strides in `layout` are those of `a`'s
                // and `b`'s shapes broadcast to `out` (0 along broadcast dimensions), so every
                // offset stays below each operand's element count.
                unsafe { launch.launch(config(n)) }.map_err(|e| gpu.error("binary kernel", e))?;
            }
            Ok(CudaStorage::new(gpu.clone(), y))
        })
    }

    /// `self += x`, in place (one length and dtype).
    pub(crate) fn accumulate(&mut self, x: &CudaStorage) -> Result<(), Error> {
        let gpu = self.gpu.clone();
        with_buf!(&mut self.buf, |y: T| {
            let x = x.slice::<T>()?;
            let n = y.len();
            if x.len() != n {
                return Err(gpu.error("accumulate", "internal error: lengths differ"));
            }
            if n == 0 {
                return Ok(());
            }
            let f = gpu.function(&format!("accumulate_{}", T::SUFFIX))?;
            let n64 = n as u64;
            let mut launch = gpu.stream.launch_builder(f);
            launch.arg(&n64).arg(x).arg(y);
            // SAFETY: accumulate_T(u64 n, const T* x, T* y): both hold `n` elements (checked).
            unsafe { launch.launch(config(n)) }.map_err(|e| gpu.error("accumulate kernel", e))?;
            Ok(())
        })
    }

    /// `n` copies of `value` on `gpu`.
    pub(crate) fn full(
        gpu: &std::sync::Arc<super::Gpu>,
        n: usize,
        dtype: DType,
        value: f64,
    ) -> Result<CudaStorage, Error> {
        fn fill<T: GpuElement>(
            gpu: &std::sync::Arc<super::Gpu>,
            n: usize,
            value: f64,
        ) -> Result<CudaStorage, Error> {
            let mut y = CudaStorage::alloc::<T>(gpu, n)?;
            if n > 0 {
                let f = gpu.function(&format!("fill_{}", T::SUFFIX))?;
                let (n64, v) = (n as u64, T::from_f64(value));
                let mut launch = gpu.stream.launch_builder(f);
                launch.arg(&n64).arg(&v).arg(&mut y);
                // SAFETY: fill_T(u64 n, T value, T* y): `y` holds `n` elements.
                unsafe { launch.launch(config(n)) }.map_err(|e| gpu.error("fill kernel", e))?;
            }
            Ok(CudaStorage::new(gpu.clone(), y))
        }
        match dtype {
            DType::F32 => fill::<f32>(gpu, n, value),
            DType::F64 => fill::<f64>(gpu, n, value),
        }
    }

    /// The same values as `dtype`.
    pub(crate) fn cast(&self, dtype: DType) -> Result<CudaStorage, Error> {
        let gpu = &self.gpu;
        let n = self.len();
        let n64 = n as u64;
        let fail = |e| gpu.error("cast kernel", e);
        match (&self.buf, dtype) {
            (Buf::F32(_), DType::F32) | (Buf::F64(_), DType::F64) => self.try_clone(),
            (Buf::F32(x), DType::F64) => {
                let mut y = CudaStorage::alloc::<f64>(gpu, n)?;
                if n > 0 {
                    let mut launch = gpu.stream.launch_builder(gpu.function("cast_f32_f64")?);
                    launch.arg(&n64).arg(x).arg(&mut y);
                    // SAFETY: cast_f32_f64(u64 n, const float* x, double* y): `n` each.
                    unsafe { launch.launch(config(n)) }.map_err(fail)?;
                }
                Ok(CudaStorage::new(gpu.clone(), y))
            }
            (Buf::F64(x), DType::F32) => {
                let mut y = CudaStorage::alloc::<f32>(gpu, n)?;
                if n > 0 {
                    let mut launch = gpu.stream.launch_builder(gpu.function("cast_f64_f32")?);
                    launch.arg(&n64).arg(x).arg(&mut y);
                    // SAFETY: cast_f64_f32(u64 n, const double* x, float* y): `n` each.
                    unsafe { launch.launch(config(n)) }.map_err(fail)?;
                }
                Ok(CudaStorage::new(gpu.clone(), y))
            }
        }
    }

    /// Reduces the middle dimension of an `outer × n × inner` array.
    pub(crate) fn reduce(
        &self,
        outer: usize,
        n: usize,
        inner: usize,
        op: Reduce,
    ) -> Result<CudaStorage, Error> {
        let gpu = &self.gpu;
        let (code, init) = match op {
            Reduce::Sum => (0i32, 0.0),
            Reduce::Max => (1i32, f64::NEG_INFINITY),
        };
        with_buf!(&self.buf, |x: T| {
            let outputs = outer * inner;
            let mut y = CudaStorage::alloc::<T>(gpu, outputs)?;
            if outputs == 0 {
                return Ok(CudaStorage::new(gpu.clone(), y));
            }
            let init = T::from_f64(init);
            let (o64, n64, i64_) = (outer as u64, n as u64, inner as u64);
            let shared = BLOCK * std::mem::size_of::<T>() as u32;
            let mut input = x;
            let partials;
            let (mut rows, mut len) = (o64, n64);
            if outer == 1 && inner == 1 && n > 1 << 16 {
                // one long row: many blocks reduce it to partials first (one block alone would
                // leave the card idle), then the row of partials below
                let blocks = n.div_ceil(BLOCK as usize * 16).clamp(1, 1024);
                let mut p = CudaStorage::alloc::<T>(gpu, blocks)?;
                let f = gpu.function(&format!("reduce_blocks_{}", T::SUFFIX))?;
                let cfg = LaunchConfig {
                    grid_dim: (blocks as u32, 1, 1),
                    block_dim: (BLOCK, 1, 1),
                    shared_mem_bytes: shared,
                };
                let mut launch = gpu.stream.launch_builder(f);
                launch.arg(&code).arg(&n64).arg(&init).arg(x).arg(&mut p);
                // SAFETY: reduce_blocks_T(int, u64 n, T init, const T* x, T* partial): `x`
                // holds n elements, `partial` one per block; BLOCK (a power of two) threads
                // and BLOCK elements of shared memory per block.
                unsafe { launch.launch(cfg) }.map_err(|e| gpu.error("reduce kernel", e))?;
                partials = p;
                input = &partials;
                (rows, len) = (1, blocks as u64);
            }
            if inner == 1 {
                // one block per row, a tree in shared memory
                let f = gpu.function(&format!("reduce_rows_{}", T::SUFFIX))?;
                let cfg = LaunchConfig {
                    grid_dim: (outer.clamp(1, 1 << 16) as u32, 1, 1),
                    block_dim: (BLOCK, 1, 1),
                    shared_mem_bytes: shared,
                };
                let mut launch = gpu.stream.launch_builder(f);
                launch.arg(&code).arg(&rows).arg(&len).arg(&init).arg(input).arg(&mut y);
                // SAFETY: reduce_rows_T(int, u64 rows, u64 n, T init, const T* x, T* y):
                // `input` holds rows × len elements (`x`, or the first pass's partials), `y`
                // rows; the block has BLOCK (a power of two) threads and BLOCK elements of
                // shared memory.
                unsafe { launch.launch(cfg) }.map_err(|e| gpu.error("reduce kernel", e))?;
            } else {
                let f = gpu.function(&format!("reduce_strided_{}", T::SUFFIX))?;
                let mut launch = gpu.stream.launch_builder(f);
                launch.arg(&code).arg(&o64).arg(&n64).arg(&i64_).arg(&init).arg(x).arg(&mut y);
                // SAFETY: reduce_strided_T(int, u64 outer, u64 n, u64 inner, T init, x, y):
                // `x` holds outer × n × inner elements, `y` outer × inner.
                unsafe { launch.launch(config(outputs)) }
                    .map_err(|e| gpu.error("reduce kernel", e))?;
            }
            Ok(CudaStorage::new(gpu.clone(), y))
        })
    }

    /// Copies `outer` blocks of `len` elements from `self` into `dst`: block `o` goes from
    /// `o * src_stride + src_offset` to `o * dst_stride + dst_offset`.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn copy_blocks(
        &self,
        dst: &mut CudaStorage,
        outer: usize,
        len: usize,
        (src_stride, src_offset): (usize, usize),
        (dst_stride, dst_offset): (usize, usize),
    ) -> Result<(), Error> {
        let gpu = self.gpu.clone();
        let total = outer * len;
        if total == 0 {
            return Ok(());
        }
        let within = |count: usize, stride: usize, offset: usize| {
            (outer - 1) * stride + offset + len <= count
        };
        if !within(self.len(), src_stride, src_offset) || !within(dst.len(), dst_stride, dst_offset)
        {
            return Err(gpu.error("copy kernel", "internal error: blocks out of range"));
        }
        with_buf!(&self.buf, |src: T| {
            let dst = T::unwrap_mut(&mut dst.buf)
                .ok_or_else(|| gpu.error("copy kernel", "internal error: dtype differs"))?;
            let f = gpu.function(&format!("copy_blocks_{}", T::SUFFIX))?;
            let args =
                [outer, len, src_stride, src_offset, dst_stride, dst_offset].map(|v| v as u64);
            let mut launch = gpu.stream.launch_builder(f);
            launch.arg(&args[0]).arg(&args[1]).arg(src).arg(&args[2]).arg(&args[3]);
            launch.arg(dst).arg(&args[4]).arg(&args[5]);
            // SAFETY: copy_blocks_T(outer, len, src, src_stride, src_offset, dst, dst_stride,
            // dst_offset): the last element read and written of each buffer is checked above
            // to lie inside it.
            unsafe { launch.launch(config(total)) }.map_err(|e| gpu.error("copy kernel", e))?;
            Ok(())
        })
    }

    /// Transposes the last two dimensions of a `batches × m × n` array.
    pub(crate) fn transpose(
        &self,
        batches: usize,
        m: usize,
        n: usize,
    ) -> Result<CudaStorage, Error> {
        let gpu = &self.gpu;
        with_buf!(&self.buf, |x: T| {
            let total = batches * m * n;
            let mut y = CudaStorage::alloc::<T>(gpu, total)?;
            if total > 0 {
                let f = gpu.function(&format!("transpose_{}", T::SUFFIX))?;
                let (b64, m64, n64) = (batches as u64, m as u64, n as u64);
                let mut launch = gpu.stream.launch_builder(f);
                launch.arg(&b64).arg(&m64).arg(&n64).arg(x).arg(&mut y);
                // SAFETY: transpose_T(batches, m, n, const T* x, T* y): both hold
                // batches × m × n elements.
                unsafe { launch.launch(config(total)) }
                    .map_err(|e| gpu.error("transpose kernel", e))?;
            }
            Ok(CudaStorage::new(gpu.clone(), y))
        })
    }

    /// `op(a) op(b)` for `batches` row-major matrices through cuBLAS: `op(a)` is `m × k` (`a`
    /// holds `k × m` when `ta`), `op(b)` `k × n` (`b` holds `n × k` when `tb`); `b` is one
    /// matrix shared by every batch unless `b_batched`.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn gemm(
        &self,
        b: &CudaStorage,
        batches: usize,
        b_batched: bool,
        (m, k, n): (usize, usize, usize),
        ta: bool,
        tb: bool,
    ) -> Result<CudaStorage, Error> {
        let gpu = &self.gpu;
        if m * n * batches == 0 || k == 0 {
            return CudaStorage::full(gpu, batches * m * n, self.dtype(), 0.0);
        }
        let int = |v: usize| {
            i32::try_from(v)
                .map_err(|_| gpu.error("matmul", "a dimension exceeds cuBLAS's 32-bit sizes"))
        };
        let long = |v: usize| {
            i64::try_from(v).map_err(|_| gpu.error("matmul", "a stride exceeds 64-bit sizes"))
        };
        let op = |t: bool| {
            if t { cublasOperation_t::CUBLAS_OP_T } else { cublasOperation_t::CUBLAS_OP_N }
        };
        let g = ColumnMajorGemm::of(batches, b_batched, (m, k, n), ta, tb);
        with_buf!(&self.buf, |a: T| {
            let bs = b.slice::<T>()?;
            let mut c = CudaStorage::alloc::<T>(gpu, batches * m * n)?;
            let gemm = GemmConfig {
                transa: op(g.trans.0),
                transb: op(g.trans.1),
                m: int(g.m)?,
                n: int(g.n)?,
                k: int(g.k)?,
                alpha: T::from_f64(1.0),
                lda: int(g.ld.0)?,
                ldb: int(g.ld.1)?,
                beta: T::from_f64(0.0),
                ldc: int(g.ldc)?,
            };
            let cfg = StridedBatchedConfig {
                gemm,
                batch_size: int(g.batches)?,
                stride_a: long(g.strides.0)?,
                stride_b: long(g.strides.1)?,
                stride_c: long(g.strides.2)?,
            };
            // SAFETY: cuBLAS reads `batches` matrices of `a` (m × k elements each, at stride
            // m·k) and of `b` (k × n each at stride k·n, or the one matrix at stride 0), with
            // leading dimensions that match their row-major shapes, and writes `batches` m × n
            // matrices into `c`, which holds exactly that many elements.
            // (cuBLAS's first operand is our `b`, its second our `a`: see `ColumnMajorGemm`.)
            unsafe { gpu.blas.gemm_strided_batched(cfg, bs, a, &mut c) }
                .map_err(|e| gpu.error("matmul (cuBLAS gemm)", e))?;
            Ok(CudaStorage::new(gpu.clone(), c))
        })
    }

    /// In place: `self += alpha * x` (`op` 0), `self += alpha * x²` (1).
    pub(crate) fn update(&mut self, op: i32, alpha: f64, x: &CudaStorage) -> Result<(), Error> {
        let gpu = self.gpu.clone();
        with_buf!(&mut self.buf, |y: T| {
            let x = x.slice::<T>()?;
            let n = y.len();
            if x.len() != n {
                return Err(gpu.error("optimiser update", "internal error: lengths differ"));
            }
            if n == 0 {
                return Ok(());
            }
            let f = gpu.function(&format!("update_{}", T::SUFFIX))?;
            let (n64, alpha) = (n as u64, T::from_f64(alpha));
            let mut launch = gpu.stream.launch_builder(f);
            launch.arg(&op).arg(&n64).arg(&alpha).arg(x).arg(y);
            // SAFETY: update_T(int, u64 n, T alpha, const T* x, T* y): both hold `n` (checked).
            unsafe { launch.launch(config(n)) }.map_err(|e| gpu.error("optimiser update", e))?;
            Ok(())
        })
    }

    /// One fused Adam step on the parameter `self` with moments `m`, `v` and gradient `g`.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn adam(
        &mut self,
        m: &mut CudaStorage,
        v: &mut CudaStorage,
        g: &CudaStorage,
        (b1, b2): (f64, f64),
        step: f64,
        bias2: f64,
        eps: f64,
    ) -> Result<(), Error> {
        let gpu = self.gpu.clone();
        let bad = || gpu.error("Adam step", "internal error: dtypes or lengths differ");
        with_buf!(&mut self.buf, |p: T| {
            let n = p.len();
            let m = T::unwrap_mut(&mut m.buf).ok_or_else(bad)?;
            let v = T::unwrap_mut(&mut v.buf).ok_or_else(bad)?;
            let g = g.slice::<T>()?;
            if m.len() != n || v.len() != n || g.len() != n {
                return Err(bad());
            }
            if n == 0 {
                return Ok(());
            }
            let f = gpu.function(&format!("adam_{}", T::SUFFIX))?;
            let n64 = n as u64;
            let scalars = [b1, 1.0 - b1, b2, 1.0 - b2, step, bias2, eps].map(T::from_f64);
            let mut launch = gpu.stream.launch_builder(f);
            launch.arg(&n64).arg(p).arg(m).arg(v).arg(g);
            for s in &scalars {
                launch.arg(s);
            }
            // SAFETY: adam_T(u64 n, T* p, T* m, T* v, const T* g, T b1, T c1, T b2, T c2,
            // T step, T bias2, T eps): all four buffers hold `n` elements (checked).
            unsafe { launch.launch(config(n)) }.map_err(|e| gpu.error("Adam step", e))?;
            Ok(())
        })
    }

    /// Adam's last step only: `self -= step * m / (√(v / bias2) + eps)`.
    pub(crate) fn adam_step(
        &mut self,
        m: &CudaStorage,
        v: &CudaStorage,
        step: f64,
        bias2: f64,
        eps: f64,
    ) -> Result<(), Error> {
        let gpu = self.gpu.clone();
        with_buf!(&mut self.buf, |p: T| {
            let (m, v) = (m.slice::<T>()?, v.slice::<T>()?);
            let n = p.len();
            if m.len() != n || v.len() != n {
                return Err(gpu.error("Adam step", "internal error: lengths differ"));
            }
            if n == 0 {
                return Ok(());
            }
            let f = gpu.function(&format!("adam_step_{}", T::SUFFIX))?;
            let n64 = n as u64;
            let scalars = [step, bias2, eps].map(T::from_f64);
            let mut launch = gpu.stream.launch_builder(f);
            launch
                .arg(&n64)
                .arg(p)
                .arg(m)
                .arg(v)
                .arg(&scalars[0])
                .arg(&scalars[1])
                .arg(&scalars[2]);
            // SAFETY: adam_step_T(u64 n, T* p, const T* m, const T* v, T, T, T): `n` each.
            unsafe { launch.launch(config(n)) }.map_err(|e| gpu.error("Adam step", e))?;
            Ok(())
        })
    }
}

/// A row-major batched product `C = op(A) op(B)` as cuBLAS's column-major strided-batched gemm
/// `C' = op'(first) op'(second)`. A row-major `r × c` array is the column-major `c × r` array
/// (its transpose) with leading dimension `c`, so `Cᵀ = op(B)ᵀ op(A)ᵀ` is computed: cuBLAS's
/// first operand is B's data, its second A's, and each is transposed for cuBLAS exactly when it
/// is for us. All fields in cuBLAS's order: (first, second).
#[derive(Debug, PartialEq)]
struct ColumnMajorGemm {
    trans: (bool, bool),
    /// Rows of C' (= n), columns of C' (= m), the inner dimension.
    m: usize,
    n: usize,
    k: usize,
    ld: (usize, usize),
    ldc: usize,
    /// Between batches: first (0 when B is shared), second, C.
    strides: (usize, usize, usize),
    batches: usize,
}

impl ColumnMajorGemm {
    /// `batches` products of `op(a)` (`m × k`; `a` holds `k × m` when `ta`) and `op(b)`
    /// (`k × n`; `b` holds `n × k` when `tb`), `b` shared unless `b_batched`.
    fn of(
        batches: usize,
        b_batched: bool,
        (m, k, n): (usize, usize, usize),
        ta: bool,
        tb: bool,
    ) -> Self {
        ColumnMajorGemm {
            trans: (tb, ta),
            m: n,
            n: m,
            k,
            // a row-major array's leading dimension is its row length as stored
            ld: (if tb { k } else { n }, if ta { m } else { k }),
            ldc: n,
            strides: (if b_batched { k * n } else { 0 }, m * k, m * n),
            batches,
        }
    }
}

/// The broadcast layout of `sa` and `sb` in `out` (at most [`MAX_DIMS`] dimensions).
fn layout(sa: &[usize], sb: &[usize], out: &[usize]) -> Option<Layout> {
    if out.len() > MAX_DIMS {
        return None;
    }
    let mut v = [0u64; 3 * MAX_DIMS];
    for (d, &size) in out.iter().enumerate() {
        v[d] = size as u64;
    }
    for (base, shape) in [(MAX_DIMS, sa), (2 * MAX_DIMS, sb)] {
        let strides = crate::tensor::strides_in(shape, out);
        for (d, s) in strides.iter().enumerate() {
            v[base + d] = *s as u64;
        }
    }
    Some(Layout { v })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Tensor;

    /// cuBLAS's column-major strided-batched gemm, by its definition:
    /// `C[i + j ldc] = Σ_l op(A)(i, l) op(B)(l, j)` per batch, `op(X)(r, c)` being `X[r + c ld]`,
    /// or `X[c + r ld]` when transposed.
    fn reference(g: &ColumnMajorGemm, first: &[f64], second: &[f64]) -> Vec<f64> {
        let at = |x: &[f64], t: bool, ld: usize, r: usize, c: usize| {
            if t { x[c + r * ld] } else { x[r + c * ld] }
        };
        let mut out = vec![0.0; g.batches * g.strides.2];
        for p in 0..g.batches {
            let (x, y) = (&first[p * g.strides.0..], &second[p * g.strides.1..]);
            for i in 0..g.m {
                for j in 0..g.n {
                    out[p * g.strides.2 + i + j * g.ldc] = (0..g.k)
                        .map(|l| at(x, g.trans.0, g.ld.0, i, l) * at(y, g.trans.1, g.ld.1, l, j))
                        .sum();
                }
            }
        }
        out
    }

    fn t(shape: &[usize], seed: u64) -> Tensor {
        Tensor::randn(shape, seed).to_dtype(DType::F64)
    }

    /// The parameters given to cuBLAS compute the row-major products `matmul` and the matmul
    /// rules (`g bᵀ`, `aᵀ g`) need, batched or not, against the CPU's products.
    #[test]
    fn column_major_gemm_gives_row_major_products() {
        let (m, k, n) = (2, 3, 4);
        let cases: Vec<(Tensor, Tensor, bool, bool, Tensor)> = vec![
            (t(&[m, k], 1), t(&[k, n], 2), false, false, t(&[m, k], 1).matmul(&t(&[k, n], 2))),
            (t(&[k, m], 3), t(&[k, n], 4), true, false, t(&[k, m], 3).t().matmul(&t(&[k, n], 4))),
            (t(&[m, k], 5), t(&[n, k], 6), false, true, t(&[m, k], 5).matmul(&t(&[n, k], 6).t())),
            (
                t(&[k, m], 7),
                t(&[n, k], 8),
                true,
                true,
                t(&[k, m], 7).t().matmul(&t(&[n, k], 8).t()),
            ),
        ];
        for (a, b, ta, tb, expected) in cases {
            let g = ColumnMajorGemm::of(1, false, (m, k, n), ta, tb);
            let c = reference(&g, &b.to_vec::<f64>(), &a.to_vec::<f64>());
            assert_eq!(c, expected.to_vec::<f64>(), "transposes {ta}, {tb}");
        }
        for b_batched in [false, true] {
            let a = t(&[3, m, k], 9);
            let b = if b_batched { t(&[3, k, n], 10) } else { t(&[k, n], 10) };
            let g = ColumnMajorGemm::of(3, b_batched, (m, k, n), false, false);
            let c = reference(&g, &b.to_vec::<f64>(), &a.to_vec::<f64>());
            assert_eq!(c, a.matmul(&b).to_vec::<f64>(), "batched, b batched: {b_batched}");
        }
    }

    /// `binary_strided`'s offsets (elementwise.cu), computed from `layout` as the kernel does,
    /// broadcast like the CPU.
    #[test]
    fn layouts_broadcast_like_the_cpu() {
        let shapes: [(&[usize], &[usize]); 5] = [
            (&[2, 3], &[3]),
            (&[2, 1], &[1, 3]),
            (&[4, 1, 3], &[2, 1]),
            (&[], &[2, 2]),
            (&[3, 1, 2], &[3, 4, 1]),
        ];
        for (sa, sb) in shapes {
            let (a, b) = (t(sa, 11), t(sb, 12));
            let expected = &a - &b;
            let out = expected.shape().to_vec();
            let l = layout(sa, sb, &out).expect("few dimensions");
            let (x, y) = (a.to_vec::<f64>(), b.to_vec::<f64>());
            let total: usize = out.iter().product();
            let result: Vec<f64> = (0..total as u64)
                .map(|i| {
                    let (mut rest, mut ia, mut ib) = (i, 0, 0);
                    for d in (0..out.len()).rev() {
                        let size = l.v[d];
                        let q = rest % size;
                        rest /= size;
                        ia += q * l.v[MAX_DIMS + d];
                        ib += q * l.v[2 * MAX_DIMS + d];
                    }
                    x[ia as usize] - y[ib as usize]
                })
                .collect();
            assert_eq!(result, expected.to_vec::<f64>(), "{sa:?} with {sb:?}");
        }
    }
}
