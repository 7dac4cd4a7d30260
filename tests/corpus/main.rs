//! A corpus of numeric functions written the way physicists, quants, statisticians and ML
//! engineers write Rust (not shaped after what the macro accepts), each checked against
//! central finite differences and forward against reverse mode (`helpers::verify`). The
//! functions the macro refuses are listed, with their errors, in `tests/corpus/README.md`.

// The functions are kept as their authors wrote them.
#![allow(clippy::all)]

mod helpers;

mod alias_helper;
mod bezier_nested_array;
mod black_scholes;
mod bond_curve_closure;
mod bouncing_ball;
mod cholesky_logdet;
mod chunks_product_destructure;
mod closure_shadowing;
mod continue_labeled_break;
mod conv1d_relu;
mod dtw;
mod ewma_ref_vec;
mod f32_cast;
mod f32_falloff;
mod garch_enumerate;
mod gauss_seidel;
mod gmm_loglik;
mod heat_equation;
mod hmm_forward;
mod huber_match;
mod impl_method;
mod iter_adapters;
mod iter_mut_normalize;
mod kalman_cv_nalgebra;
mod kalman_scalar;
mod kepler_loop;
mod layernorm_vec;
mod lennard_jones;
mod local_struct_state;
mod logistic_regression;
mod lu_pivot_solve;
mod matrix3_det;
mod max_by_lse;
mod mc_asian;
mod mc_european;
mod median_sort;
mod mlp_mse;
mod newton_cbrt;
mod pearson;
mod poly_const_table;
mod polygon_tuple_helper;
mod portfolio_fnmut;
mod projectile;
mod recursive_match;
mod rk4_oscillator;
mod rodrigues_nalgebra;
mod rosenbrock_array;
mod sabr_vol;
mod sample_variance;
mod simpson;
mod soft_dtw;
mod softmax_xent;
mod struct_param_method;
mod subslice_helper;
mod trapezoid_closure;
mod two_link_ik;
mod unit_quaternion;
mod verlet_orbit;
mod while_assert;
mod windows_first_last;
