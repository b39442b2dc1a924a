//! Crops and pads as views of a grid: a view maps output coordinates to the source
//! (or to its fill value) without copying, so a crop or a pad before a resize costs
//! nothing until the resize reads the pixels it needs.

use super::resample::Grid;

/// One crop or pad, from the grid before it to the grid after it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum View {
    /// The window whose top-left pixel is at row `top`, column `left`.
    Crop { top: usize, left: usize },
    /// The image placed at row `top`, column `left` of a larger grid, `rows` x `cols`
    /// being its own size; the other pixels are `fill`.
    Pad {
        top: usize,
        left: usize,
        rows: usize,
        cols: usize,
        fill: f64,
    },
}

/// A crop of `width` x `height` from a `rows` x `cols` image, at a column and row or
/// centred: as torchvision's `center_crop`, the top row is
/// `round((rows - height) / 2)` and the left column `round((cols - width) / 2)`, halves
/// rounded to even (Python's `round`).
pub(super) fn crop(
    (rows, cols): (usize, usize),
    (width, height): (usize, usize),
    at: Option<(usize, usize)>,
) -> Result<View, String> {
    let fits = match at {
        Some((x, y)) => {
            x.checked_add(width).is_some_and(|r| r <= cols)
                && y.checked_add(height).is_some_and(|b| b <= rows)
        }
        None => width <= cols && height <= rows,
    };
    if !fits || width == 0 || height == 0 {
        let place = at.map_or_else(|| "centred".to_owned(), |(x, y)| format!("at {x}, {y}"));
        return Err(format!(
            "cannot crop {width} x {height} {place} from an image of {cols} x {rows} (width x height)"
        ));
    }
    let half_even = |d: usize| {
        let k = d / 2;
        if d % 2 == 1 && k % 2 == 1 {
            k + 1
        } else {
            k
        }
    };
    let (left, top) = at.unwrap_or((half_even(cols - width), half_even(rows - height)));
    Ok(View::Crop { top, left })
}

/// The pad of a `rows` x `cols` image into `to_rows` x `to_cols`, centred: the top
/// margin is `floor((to_rows - rows) / 2)`, the left `floor((to_cols - cols) / 2)`.
pub(super) fn pad(
    (rows, cols): (usize, usize),
    (to_rows, to_cols): (usize, usize),
    fill: f64,
) -> View {
    View::Pad {
        top: (to_rows - rows) / 2,
        left: (to_cols - cols) / 2,
        rows,
        cols,
        fill,
    }
}

/// The size (rows, columns) a `rows` x `cols` image is resized to in a letterbox of
/// `height` x `width`: the side that fills first takes the box's size, the other
/// `round(side * scale)` (halves up), at least 1.
pub(super) fn letterbox_size(
    (rows, cols): (usize, usize),
    (height, width): (usize, usize),
) -> (usize, usize) {
    let (r, c, h, w) = (rows as u128, cols as u128, height as u128, width as u128);
    if c * h >= r * w {
        // Wider than the box: the width fills it.
        let nh = (2 * r * w + c) / (2 * c);
        ((nh as usize).clamp(1, height), width)
    } else {
        let nw = (2 * c * h + r) / (2 * r);
        (height, (nw as usize).clamp(1, width))
    }
}

/// A grid seen through views (applied in order), `rows` x `cols` after the last.
pub(super) struct Viewed<'g, G: Grid> {
    pub(super) inner: &'g G,
    pub(super) views: &'g [View],
    pub(super) rows: usize,
    pub(super) cols: usize,
}

impl<G: Grid> Grid for Viewed<'_, G> {
    fn channels(&self) -> usize {
        self.inner.channels()
    }
    fn rows(&self) -> usize {
        self.rows
    }
    fn cols(&self) -> usize {
        self.cols
    }
    #[inline]
    fn at(&self, c: usize, y: usize, x: usize) -> f64 {
        let (mut y, mut x) = (y, x);
        for v in self.views.iter().rev() {
            match *v {
                View::Crop { top, left } => {
                    y += top;
                    x += left;
                }
                View::Pad {
                    top,
                    left,
                    rows,
                    cols,
                    fill,
                } => {
                    if y < top || x < left || y - top >= rows || x - left >= cols {
                        return fill;
                    }
                    y -= top;
                    x -= left;
                }
            }
        }
        self.inner.at(c, y, x)
    }
    fn add_row(&self, c: usize, y: usize, acc: &mut [f64]) {
        if self.views.is_empty() {
            return self.inner.add_row(c, y, acc);
        }
        for (x, a) in acc.iter_mut().enumerate() {
            *a += self.at(c, y, x);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn centre_crops_round_halves_to_even() {
        // torchvision: int(round((rows - h) / 2.0)).
        let top = |rows, h| match crop((rows, 10), (10, h), None) {
            Ok(View::Crop { top, .. }) => top,
            other => unreachable!("{other:?}"),
        };
        assert_eq!(
            [top(5, 4), top(7, 4), top(9, 4), top(11, 4), top(8, 4)],
            [0, 2, 2, 4, 2]
        );
        assert!(crop((4, 4), (5, 4), None).is_err_and(|e| e.contains("cannot crop 5 x 4 centred")));
        assert!(crop((4, 4), (2, 2), Some((3, 0))).is_err());
        assert_eq!(
            crop((4, 4), (2, 2), Some((2, 1))),
            Ok(View::Crop { top: 1, left: 2 })
        );
    }

    #[test]
    fn letterbox_sizes() {
        assert_eq!(letterbox_size((100, 200), (224, 224)), (112, 224));
        assert_eq!(letterbox_size((200, 100), (224, 224)), (224, 112));
        assert_eq!(letterbox_size((3, 2), (2, 2)), (2, 1));
        assert_eq!(letterbox_size((1, 1000), (10, 10)), (1, 10));
        assert_eq!(letterbox_size((7, 7), (3, 5)), (3, 3));
    }
}
