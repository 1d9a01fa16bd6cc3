//! The image-blur example: generate images, blur them in parallel, write them to a folder.
//!
//! `cargo run --release -p lazydag-parallel --example blur [OUTPUT_DIR]`
//! (default output: `target/blur-example`).

use std::path::PathBuf;
use std::time::Instant;

use image::{ImageBuffer, Rgb, RgbImage, imageops};
use lazydag_parallel::Parallel;

/// A generated test image: colour gradients with a checkerboard, different for each `seed`.
fn generate(seed: u32, size: u32) -> RgbImage {
    ImageBuffer::from_fn(size, size, |x, y| {
        let check = if ((x / 16) + (y / 16) + seed).is_multiple_of(2) { 255 } else { 0 };
        Rgb([(x * 255 / size) as u8, (y * 255 / size) as u8, check])
    })
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let out: PathBuf =
        std::env::args_os().nth(1).map_or("target/blur-example".into(), PathBuf::from);
    std::fs::create_dir_all(&out)?;
    let inputs: Vec<(u32, RgbImage)> = (0..8).map(|i| (i, generate(i, 256))).collect();

    let start = Instant::now();
    let folder = out.clone();
    let written =
        Parallel::new().n_jobs(-1).try_map(inputs, move |(i, img): (u32, RgbImage)| {
            let blurred = imageops::blur(&img, 3.0);
            // BMP: image's `bmp` codec has no dependencies of its own (`png` pulls in flate2
            // with other features than Polars', which would make `cargo doc` rebuild Polars).
            let path = folder.join(format!("blurred-{i}.bmp"));
            blurred.save(&path).map(|()| path)
        })?;
    println!("blurred {} images in {:.2?}:", written.len(), start.elapsed());
    for path in &written {
        println!("  {}", path.display());
    }
    Ok(())
}
