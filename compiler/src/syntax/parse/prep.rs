//! The preprocessing steps of an `input ... from dicom { ... }` block.

use super::{Parse, Rule};
use crate::ast::*;
use pest::iterators::Pair;

impl<'t> Parse<'t> {
    /// One step of the input block.
    pub(super) fn prep_step(&mut self, pair: Pair<'t, Rule>) -> Option<Node<PrepStep>> {
        let loc = self.loc(&pair);
        let rule = pair.as_rule();
        let mut inner = pair.into_inner();
        let text = |p: Option<Pair<'t, Rule>>| p.map(|p| p.as_str().to_string());
        let step = match rule {
            Rule::modalities => PrepStep::Modalities(inner.map(|m| self.text_node(&m)).collect()),
            Rule::rescale => {
                let how = inner.next()?;
                match how.as_rule() {
                    Rule::rescale_dicom => PrepStep::RescaleFromDicom,
                    _ => {
                        let mut n = how.into_inner();
                        PrepStep::RescaleFixed {
                            slope: text(n.next())?,
                            intercept: text(n.next())?,
                        }
                    }
                }
            }
            Rule::window => {
                let how = inner.next()?;
                match how.as_rule() {
                    Rule::window_dicom => PrepStep::WindowFromDicom {
                        else_minmax: how.as_str().contains("minmax"),
                    },
                    Rule::window_minmax => PrepStep::WindowMinMax,
                    Rule::window_percentile => {
                        let mut n = how.into_inner();
                        PrepStep::WindowPercentile {
                            low: text(n.next())?,
                            high: text(n.next())?,
                        }
                    }
                    _ => {
                        let mut n = how.into_inner();
                        PrepStep::WindowFixed {
                            center: text(n.next())?,
                            width: text(n.next())?,
                        }
                    }
                }
            }
            Rule::invert => PrepStep::InvertMonochrome1,
            Rule::resize => PrepStep::Resize {
                width: text(inner.next())?,
                height: text(inner.next())?,
                interpolation: text(inner.next()),
            },
            Rule::normalize => {
                // The means are signed numbers, the standard deviations plain ones.
                let (mut mean, mut std) = (Vec::new(), Vec::new());
                for n in inner {
                    match n.as_rule() {
                        Rule::signed_number => mean.push(n.as_str().to_string()),
                        _ => std.push(n.as_str().to_string()),
                    }
                }
                PrepStep::Normalize { mean, std }
            }
            Rule::crop => {
                let how = inner.next()?;
                let centre = how.as_rule() == Rule::crop_center;
                let mut n = how.into_inner();
                let (width, height) = (text(n.next())?, text(n.next())?);
                let at = if centre {
                    None
                } else {
                    Some((text(n.next())?, text(n.next())?))
                };
                PrepStep::Crop { width, height, at }
            }
            Rule::pad => PrepStep::PadSquare {
                fill: text(inner.next())?,
            },
            Rule::letterbox => {
                let (width, height) = (text(inner.next())?, text(inner.next())?);
                let mut next = inner.next()?;
                let interpolation = if next.as_rule() == Rule::interpolation {
                    let i = next.as_str().to_string();
                    next = inner.next()?;
                    Some(i)
                } else {
                    None
                };
                PrepStep::Letterbox {
                    width,
                    height,
                    interpolation,
                    fill: next.as_str().to_string(),
                }
            }
            Rule::clip => PrepStep::Clip {
                low: text(inner.next())?,
                high: text(inner.next())?,
            },
            Rule::channels => PrepStep::Channels(text(inner.next())?),
            Rule::color => PrepStep::Color(text(inner.next())?),
            _ => return None,
        };
        Some(Node::new(step, loc))
    }
}
