//! Times `jpeg2k::Image::from_bytes` (what dicom-rs calls per frame) on every `.j2k`
//! codestream of a folder, single-threaded, and prints the median and mean per image.
use std::time::Instant;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let dir = args.next().ok_or("usage: j2k-bench DIR [ROUNDS]")?;
    let rounds: usize = args.next().map_or(Ok(3), |r| r.parse())?;
    let mut files: Vec<_> = std::fs::read_dir(&dir)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "j2k"))
        .collect();
    files.sort();
    let streams: Vec<Vec<u8>> = files.iter().map(std::fs::read).collect::<Result<_, _>>()?;
    if streams.is_empty() {
        return Err(format!("no .j2k file in {dir}").into());
    }
    // One warm-up decode, whose checksum shows both builds decode the same samples.
    let mut checksum = 0i64;
    for s in &streams {
        let img = jpeg2k::Image::from_bytes(s)?;
        for c in img.components() {
            checksum = c.data().iter().fold(checksum, |a, v| a.wrapping_mul(31).wrapping_add(i64::from(*v)));
        }
    }
    let mut times = Vec::new();
    for _ in 0..rounds {
        for s in &streams {
            let t = Instant::now();
            let img = jpeg2k::Image::from_bytes(s)?;
            std::hint::black_box(img.components().len());
            times.push(t.elapsed().as_secs_f64() * 1e3);
        }
    }
    times.sort_by(f64::total_cmp);
    let mean = times.iter().sum::<f64>() / times.len() as f64;
    let backend = if cfg!(feature = "c") { "C OpenJPEG (openjpeg-sys)" } else { "pure-Rust openjp2" };
    println!(
        "{backend}: {} decodes of {} files, median {:.1} ms, mean {:.1} ms per image (checksum {checksum:x})",
        times.len(),
        streams.len(),
        times[times.len() / 2],
        mean
    );
    Ok(())
}
