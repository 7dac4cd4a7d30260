//! SEEDS S11: linear regression `y = 1 + 2x + noise` by gradient descent on the mean squared
//! error, with tensors, printing `b` and `w` against the closed-form least-squares fit.
//! Run with `cargo run --release --example linear_regression`, or on a GPU with
//! `cargo run --release --features cuda --example linear_regression -- --device cuda`.

use autodiff::prelude::*;

#[path = "common/device.rs"]
mod device;

#[differentiable(wrt(b, w))]
fn loss(x: &Tensor, y: &Tensor, b: &Tensor, w: &Tensor) -> Tensor {
    loss::mse(&(x * w + b), y)
}

fn main() -> Result<(), Error> {
    let device = device::from_args();
    let x = Tensor::rand(&[100], 42);
    let y = &(&(&x * 2.0) + 1.0) + &(&Tensor::randn(&[100], 7) * 0.1);
    // the first 80 points train, as in the tutorial
    let (x_train, y_train) = (
        Tensor::from_vec(x.to_vec::<f32>()[..80].to_vec(), &[80]).to_device(&device)?,
        Tensor::from_vec(y.to_vec::<f32>()[..80].to_vec(), &[80]).to_device(&device)?,
    );
    let mut b = Param::new(Tensor::randn(&[1], 1)).to_device(&device)?;
    let mut w = Param::new(Tensor::randn(&[1], 2)).to_device(&device)?;
    println!("start: b = {:.4}, w = {:.4}", b.value.item::<f32>(), w.value.item::<f32>());
    let mut opt = Sgd::new(0.1);
    for epoch in 1..=1000 {
        b.zero_grad();
        w.zero_grad();
        let l = loss_vjp(
            &x_train,
            &y_train,
            &b.value,
            &w.value,
            Tensor::scalar(1.0f32),
            &mut b.grad,
            &mut w.grad,
        );
        opt.step(&mut [&mut b, &mut w]);
        if epoch % 200 == 0 {
            println!(
                "epoch {epoch:4}: loss = {:.6}, b = {:.4}, w = {:.4}",
                l.item::<f32>(),
                b.value.item::<f32>(),
                w.value.item::<f32>()
            );
        }
    }
    let (xs, ys) = (x_train.to_vec::<f64>(), y_train.to_vec::<f64>());
    let n = xs.len() as f64;
    let (mx, my) = (xs.iter().sum::<f64>() / n, ys.iter().sum::<f64>() / n);
    let slope = xs.iter().zip(&ys).map(|(a, c)| (a - mx) * (c - my)).sum::<f64>()
        / xs.iter().map(|a| (a - mx) * (a - mx)).sum::<f64>();
    println!(
        "gradient descent: b = {:.4}, w = {:.4}",
        b.value.item::<f32>(),
        w.value.item::<f32>()
    );
    println!("least squares:    b = {:.4}, w = {:.4}", my - slope * mx, slope);
    Ok(())
}
