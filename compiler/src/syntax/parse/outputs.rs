//! The statements of a manifest that say what the model's outputs mean and what is
//! claimed of them: `findings`, `unit`, `compare` and the `claims` block.

use super::{Parse, Rule};
use crate::ast::*;
use pest::iterators::Pair;

impl<'t> Parse<'t> {
    /// `findings "logits" { ... }`.
    pub(super) fn findings_stmt(&mut self, pair: Pair<'t, Rule>) -> Option<ModelStmt> {
        let mut tensor = None;
        let mut findings = Vec::new();
        for p in pair.into_inner() {
            match p.as_rule() {
                Rule::string => tensor = Some(self.string(p)),
                Rule::finding => {
                    let loc = self.loc(&p);
                    if let Some(f) = self.finding(p) {
                        findings.push(Node::new(f, loc));
                    }
                }
                _ => {}
            }
        }
        Some(ModelStmt::Findings { tensor, findings })
    }

    fn finding(&mut self, pair: Pair<'t, Rule>) -> Option<Finding> {
        let mut inner = pair.into_inner();
        let name = self.text_node(&inner.next()?);
        let (mut tensor, mut index, mut activation) = (None, None, None);
        let mut op = inner.next()?;
        loop {
            match op.as_rule() {
                Rule::finding_from => tensor = Some(self.string(op.into_inner().next()?)),
                Rule::output_index => {
                    let n = op.into_inner().next()?;
                    index = Some(Node::new(self.literal_of(&n)?, self.loc(&n)));
                }
                Rule::activation => {
                    let loc = self.loc(&op);
                    let a = op.into_inner().next()?;
                    let act = match a.as_rule() {
                        Rule::act_softmax => {
                            let mut over = Vec::new();
                            for n in a.into_inner() {
                                over.push(Node::new(self.literal_of(&n)?, self.loc(&n)));
                            }
                            Activation::Softmax(over)
                        }
                        _ if a.as_str() == "sigmoid" => Activation::Sigmoid,
                        _ => Activation::Probability,
                    };
                    activation = Some(Node::new(act, loc));
                }
                _ => break,
            }
            op = inner.next()?;
        }
        let inclusive = op.as_str() == ">=";
        let t = inner.next()?;
        let threshold = Node::new(self.literal_of(&t)?, self.loc(&t));
        let meaning = self.string(inner.next()?);
        let prevalence = match inner.next() {
            Some(p) => self.prevalence_values(p),
            None => Vec::new(),
        };
        Some(Finding {
            name,
            tensor,
            index,
            activation,
            inclusive,
            threshold,
            meaning,
            prevalence,
        })
    }

    /// The values of `prevalence 2%, 5%`, as written.
    pub(super) fn prevalence_values(&mut self, pair: Pair<'t, Rule>) -> Vec<Node<Literal>> {
        let mut out = Vec::new();
        for v in pair.into_inner() {
            if let Some(l) = self.literal_of(&v) {
                out.push(Node::new(l, self.loc(&v)));
            }
        }
        out
    }

    /// `unit study aggregate view ViewPosition "PA", "AP" else max`.
    pub(super) fn unit_stmt(&mut self, pair: Pair<'t, Rule>) -> Option<ModelStmt> {
        let mut inner = pair.into_inner();
        let level = self.text_node(&inner.next()?);
        let aggregate = match inner.next() {
            None => None,
            Some(a) => {
                let loc = self.loc(&a);
                let mut view = None;
                let mut rule = None;
                for p in a.into_inner() {
                    match p.as_rule() {
                        Rule::view_pick => {
                            let mut v = p.into_inner();
                            let attribute = self.text_node(&v.next()?);
                            let values = v.map(|s| self.string(s)).collect();
                            view = Some((attribute, values));
                        }
                        _ => rule = Some(self.text_node(&p)),
                    }
                }
                Some(Node::new(Aggregate { view, rule: rule? }, loc))
            }
        };
        Some(ModelStmt::Unit { level, aggregate })
    }

    /// `compare with "model/released.onnx" sha256 "..." version "1.0.0"`.
    pub(super) fn compare_stmt(&mut self, pair: Pair<'t, Rule>) -> Option<ModelStmt> {
        let mut inner = pair.into_inner().peekable();
        let predictions = inner
            .next_if(|p| p.as_rule() == Rule::compare_predictions)
            .is_some();
        let path = self.string(inner.next()?);
        let (mut sha256, mut version, mut thresholds) = (None, None, Vec::new());
        for p in inner {
            match p.as_rule() {
                Rule::compare_thresholds => {
                    thresholds = p
                        .into_inner()
                        .filter_map(|t| self.bound(t.into_inner()))
                        .collect();
                }
                Rule::compare_sha => sha256 = Some(self.string(p.into_inner().next()?)),
                _ => version = Some(self.string(p.into_inner().next()?)),
            }
        }
        Some(ModelStmt::Compare {
            predictions,
            path,
            sha256,
            version,
            thresholds,
        })
    }

    /// `compare with readers "data/readers.csv"`.
    pub(super) fn readers_stmt(&mut self, pair: Pair<'t, Rule>) -> Option<ModelStmt> {
        let path = pair.into_inner().find(|p| p.as_rule() == Rule::string)?;
        Some(ModelStmt::Readers {
            path: self.string(path),
        })
    }

    /// `claims { ... }`.
    pub(super) fn claims_stmt(&mut self, pair: Pair<'t, Rule>) -> Option<ModelStmt> {
        let mut claims = Vec::new();
        for item in pair.into_inner() {
            let loc = self.loc(&item);
            let rule = item.as_rule();
            let mut inner = item.into_inner();
            let claim = match rule {
                Rule::claim => {
                    let Some((name, value)) = self.bound(inner) else {
                        continue;
                    };
                    Claim::Metric { name, value }
                }
                Rule::summary_claim => {
                    let Some(kind) = inner.next().map(|k| self.text_node(&k)) else {
                        continue;
                    };
                    let Some((name, value)) = self.bound(inner) else {
                        continue;
                    };
                    Claim::Summary { kind, name, value }
                }
                Rule::finding_claims => {
                    let Some(finding) = inner.next().map(|f| self.text_node(&f)) else {
                        continue;
                    };
                    let claims = inner.filter_map(|c| self.scoped_claim(c)).collect();
                    Claim::Finding { finding, claims }
                }
                Rule::noninferior => {
                    // `released` or `readers` (the grammar demands one).
                    let readers = inner.next().is_some_and(|p| p.as_str() == "readers");
                    Claim::NonInferior {
                        readers,
                        margins: inner.filter_map(|m| self.bound(m.into_inner())).collect(),
                    }
                }
                _ => continue,
            };
            claims.push(Node::new(claim, loc));
        }
        Some(ModelStmt::Claims(claims))
    }

    /// A metric and its bound: `sensitivity 90%`, `auc by 0.05`.
    fn bound(
        &mut self,
        mut inner: pest::iterators::Pairs<'t, Rule>,
    ) -> Option<(Node<String>, Node<Literal>)> {
        let name = self.text_node(&inner.next()?);
        let v = inner.next()?;
        let value = Node::new(self.literal_of(&v)?, self.loc(&v));
        Some((name, value))
    }
}
