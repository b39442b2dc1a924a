//! The statements of a manifest about volumes (issue 14): `input ... series`,
//! `segmentation` and `quantify`, and the claims of a finding's or structure's block.

use super::{Parse, Rule};
use crate::ast::*;
use pest::iterators::Pair;

impl<'t> Parse<'t> {
    /// A number pair as a literal node.
    fn number_node(&mut self, n: &Pair<'t, Rule>) -> Option<Node<Literal>> {
        let lit = if n.as_rule() == Rule::signed_number {
            Literal::Number {
                value: n.as_str().parse().ok()?,
                raw: n.as_str().to_string(),
            }
        } else {
            self.literal_of(n)?
        };
        Some(Node::new(lit, self.loc(n)))
    }

    /// `input "ct" series where ... { ... }`.
    pub(super) fn series_input_stmt(&mut self, pair: Pair<'t, Rule>) -> Option<ModelStmt> {
        let mut inner = pair.into_inner();
        let tensor = self.string(inner.next()?);
        let (mut conditions, mut steps) = (Vec::new(), Vec::new());
        for p in inner {
            if p.as_rule() == Rule::series_where {
                for c in p.into_inner() {
                    let loc = self.loc(&c);
                    let rule = c.as_rule();
                    let mut ci = c.into_inner();
                    let cond = match rule {
                        Rule::cond_modality => SeriesCond::Modality(self.text_node(&ci.next()?)),
                        Rule::cond_description => {
                            // The `matches` keyword, then the pattern.
                            let s = ci.find(|x| x.as_rule() == Rule::string)?;
                            SeriesCond::Description(self.string(s))
                        }
                        Rule::cond_image_type => SeriesCond::ImageType(self.text_node(&ci.next()?)),
                        Rule::cond_slices => {
                            let min = self.number_node(&ci.next()?)?;
                            let max = self.number_node(&ci.next()?)?;
                            SeriesCond::Slices { min, max }
                        }
                        _ => continue,
                    };
                    conditions.push(Node::new(cond, loc));
                }
            } else if let Some(s) = self.volume_step(p) {
                steps.push(s);
            }
        }
        Some(ModelStmt::SeriesInput {
            tensor,
            conditions,
            steps,
        })
    }

    fn volume_step(&mut self, pair: Pair<'t, Rule>) -> Option<Node<VolumeStep>> {
        let loc = self.loc(&pair);
        let text = |p: Option<Pair<'t, Rule>>| p.map(|p| p.as_str().to_string());
        let step = match pair.as_rule() {
            Rule::resample => {
                let mut n = pair.into_inner();
                let spacing = [text(n.next())?, text(n.next())?, text(n.next())?];
                VolumeStep::Resample {
                    spacing,
                    interpolation: text(n.next())?,
                }
            }
            Rule::orient => VolumeStep::Orient(text(pair.into_inner().next())?),
            Rule::crop_or_pad => {
                let mut n = pair.into_inner();
                let size = [text(n.next())?, text(n.next())?, text(n.next())?];
                VolumeStep::CropOrPad {
                    size,
                    fill: text(n.next())?,
                }
            }
            Rule::normalize_zscore => VolumeStep::NormalizeZscore,
            Rule::vol_window => {
                let mut n = pair.into_inner().next()?.into_inner();
                VolumeStep::Prep(PrepStep::WindowFixed {
                    center: text(n.next())?,
                    width: text(n.next())?,
                })
            }
            _ => {
                return self
                    .prep_step(pair)
                    .map(|s| Node::new(VolumeStep::Prep(s.node), loc))
            }
        };
        Some(Node::new(step, loc))
    }

    /// `segmentation "mask" argmax { liver channel 1 ... }`.
    pub(super) fn segmentation_stmt(&mut self, pair: Pair<'t, Rule>) -> Option<ModelStmt> {
        let mut inner = pair.into_inner();
        let tensor = self.string(inner.next()?);
        let r = inner.next()?;
        let rloc = self.loc(&r);
        let how = r.into_inner().next()?;
        let rule = match how.as_rule() {
            Rule::seg_argmax => SegRule::Argmax,
            Rule::seg_labelmap => SegRule::LabelMap,
            _ => SegRule::Sigmoid(self.number_node(&how.into_inner().next()?)?.node),
        };
        let mut structures = Vec::new();
        for s in inner {
            let loc = self.loc(&s);
            let mut si = s.into_inner();
            let (Some(name), Some(kind), Some(index)) = (si.next(), si.next(), si.next()) else {
                continue;
            };
            let Some(index) = self.number_node(&index) else {
                continue;
            };
            structures.push(Node::new(
                SegStructure {
                    name: self.text_node(&name),
                    label: kind.as_str() == "label",
                    index,
                },
                loc,
            ));
        }
        Some(ModelStmt::Segmentation {
            tensor,
            rule: Node::new(rule, rloc),
            structures,
        })
    }

    /// `quantify volume of liver, spleen`.
    pub(super) fn quantify_stmt(&mut self, pair: Pair<'t, Rule>) -> Option<ModelStmt> {
        Some(ModelStmt::Quantify(
            pair.into_inner().map(|p| self.text_node(&p)).collect(),
        ))
    }

    /// One claim of a finding's or structure's block.
    pub(super) fn scoped_claim(&mut self, pair: Pair<'t, Rule>) -> Option<Node<ScopedClaim>> {
        let loc = self.loc(&pair);
        let mut inner = pair.into_inner();
        let name = self.text_node(&inner.next()?);
        let (mut at_most, mut value, mut unit, mut tolerance) = (None, None, None, None);
        for p in inner {
            match p.as_rule() {
                Rule::at_most => at_most = Some(Node::new((), self.loc(&p))),
                Rule::claim_unit => unit = Some(self.text_node(&p)),
                Rule::claim_tolerance => tolerance = self.number_node(&p.into_inner().next()?),
                _ => value = Some(Node::new(self.literal_of(&p)?, self.loc(&p))),
            }
        }
        Some(Node::new(
            ScopedClaim {
                name,
                at_most,
                value: value?,
                unit,
                tolerance,
            },
            loc,
        ))
    }
}
