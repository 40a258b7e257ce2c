//! Bounds on how deeply a template nests, checked before handlebars parses or renders it.
//!
//! Handlebars parses and renders recursively: once per nested block, sub-expression and
//! partial. A team's template nesting a few thousand `{{#if}}`s, or an inline partial that
//! includes itself, would exhaust the stack and abort the run with no report. Real templates
//! nest a handful of levels, so a generous fixed limit costs nothing.

use std::collections::{HashMap, HashSet};

use handlebars::template::{Parameter, Template as Compiled, TemplateElement};

/// How deeply blocks, sub-expressions and partials may nest, together.
pub(super) const MAX_DEPTH: usize = 40;

/// What to tell the author when the limit is hit.
const REMEDY: &str = "flatten the template: close blocks sooner, split long conditions, \
                      or move repeated parts out of nested partials";

/// A nesting problem and the byte offset in the text where it shows, when known.
pub(super) struct Problem {
    pub(super) offset: Option<usize>,
    pub(super) message: String,
}

/// Scans a handlebars text, without parsing it, for blocks (`{{#...}}` ... `{{/...}}`) and
/// parentheses inside an expression nested deeper than [`MAX_DEPTH`] together. The scan is
/// linear and never recurses, so any text is safe to give it.
pub(super) fn scan(text: &str) -> Result<(), Problem> {
    let bytes = text.as_bytes();
    let mut depth: usize = 0;
    let mut at = 0;
    while let Some(found) = find(bytes, at, b"{{") {
        let start = found;
        // `\{{` is text, not an expression.
        if start > 0 && bytes[start - 1] == b'\\' {
            at = start + 2;
            continue;
        }
        let rest = &bytes[start..];
        let end = if rest.starts_with(b"{{!--") {
            find(bytes, start + 5, b"--}}").map(|i| i + 4)
        } else if rest.starts_with(b"{{!") {
            find(bytes, start + 3, b"}}").map(|i| i + 2)
        } else if rest.starts_with(b"{{{{") {
            // A raw block: its content is text up to the closing `{{{{/name}}}}`.
            find(bytes, start + 4, b"{{{{/")
                .and_then(|close| find(bytes, close, b"}}}}"))
                .map(|i| i + 4)
        } else {
            let mut inner = start + 2;
            if bytes.get(inner) == Some(&b'~') {
                inner += 1;
            }
            match bytes.get(inner) {
                Some(b'#') => depth += 1,
                Some(b'^') if !matches!(bytes.get(inner + 1), Some(b'}' | b'~')) => depth += 1,
                Some(b'/') => depth = depth.saturating_sub(1),
                _ => {}
            }
            let (close, parens) = expression_end(bytes, inner);
            if depth + parens > MAX_DEPTH {
                return Err(Problem {
                    offset: Some(start),
                    message: format!(
                        "blocks and parentheses nest more than {MAX_DEPTH} deep here; {REMEDY}"
                    ),
                });
            }
            close
        };
        match end {
            Some(end) => at = end,
            // Unclosed: handlebars reports it with its own message.
            None => return Ok(()),
        }
    }
    Ok(())
}

/// Where the expression starting at `from` ends (after its `}}`), and how deeply its
/// parentheses nest, ignoring those inside string literals.
fn expression_end(bytes: &[u8], from: usize) -> (Option<usize>, usize) {
    let (mut depth, mut deepest) = (0usize, 0usize);
    let mut quote: Option<u8> = None;
    let mut i = from;
    while i < bytes.len() {
        let b = bytes[i];
        match quote {
            Some(q) if b == q => quote = None,
            Some(_) => {}
            None => match b {
                b'"' | b'\'' => quote = Some(b),
                b'(' => {
                    depth += 1;
                    deepest = deepest.max(depth);
                }
                b')' => depth = depth.saturating_sub(1),
                b'}' if bytes.get(i + 1) == Some(&b'}') => return (Some(i + 2), deepest),
                _ => {}
            },
        }
        i += 1;
    }
    (None, deepest)
}

/// The first index at or after `from` where `needle` starts.
fn find(haystack: &[u8], from: usize, needle: &[u8]) -> Option<usize> {
    haystack
        .get(from..)?
        .windows(needle.len())
        .position(|window| window == needle)
        .map(|i| i + from)
}

/// Checks a parsed template's partials: each is named in the template (so that it can be
/// followed), none includes itself, directly or through others, and blocks and partials
/// nest at most [`MAX_DEPTH`] deep once partials are expanded where they are used.
pub(super) fn check_partials(template: &Compiled) -> Result<(), Problem> {
    let mut definitions = HashMap::new();
    collect_inline_partials(template, &mut definitions);
    let mut walk = Walk {
        definitions,
        known: HashMap::new(),
        expanding: HashSet::new(),
    };
    let depth = walk.depth(template)?;
    if depth > MAX_DEPTH {
        return Err(Problem {
            offset: None,
            message: format!(
                "blocks and partials nest {depth} deep once each partial is expanded, more \
                 than {MAX_DEPTH}; {REMEDY}"
            ),
        });
    }
    Ok(())
}

/// Every `{{#*inline "name"}}` definition in the template, by name.
fn collect_inline_partials<'t>(
    template: &'t Compiled,
    into: &mut HashMap<String, Vec<&'t Compiled>>,
) {
    for element in &template.elements {
        match element {
            TemplateElement::DecoratorBlock(decorator) => {
                if let Some(body) = &decorator.template {
                    if decorator.name.as_name() == Some("inline")
                        && let Some(name) = decorator.params.first().and_then(partial_name)
                    {
                        into.entry(name).or_default().push(body);
                    }
                    collect_inline_partials(body, into);
                }
            }
            TemplateElement::HelperBlock(helper) => {
                for inner in [&helper.template, &helper.inverse].into_iter().flatten() {
                    collect_inline_partials(inner, into);
                }
            }
            TemplateElement::PartialBlock(partial) => {
                if let Some(inner) = &partial.template {
                    collect_inline_partials(inner, into);
                }
            }
            _ => {}
        }
    }
}

/// The name a partial parameter gives, when it is written out.
fn partial_name(parameter: &Parameter) -> Option<String> {
    match parameter {
        Parameter::Literal(serde_json::Value::String(name)) => Some(name.clone()),
        other => other.as_name().map(str::to_owned),
    }
}

/// The depth computation, with each partial's depth remembered.
struct Walk<'t> {
    definitions: HashMap<String, Vec<&'t Compiled>>,
    known: HashMap<String, usize>,
    expanding: HashSet<String>,
}

impl Walk<'_> {
    /// How deeply `template` nests blocks and partials.
    fn depth(&mut self, template: &Compiled) -> Result<usize, Problem> {
        let mut deepest = 0;
        for element in &template.elements {
            let depth = match element {
                TemplateElement::HelperBlock(helper) => {
                    let mut inner = 0;
                    for part in [&helper.template, &helper.inverse].into_iter().flatten() {
                        inner = inner.max(self.depth(part)?);
                    }
                    1 + inner
                }
                TemplateElement::PartialExpression(partial) => 1 + self.partial(&partial.name)?,
                TemplateElement::PartialBlock(partial) => {
                    let block = match &partial.template {
                        Some(inner) => self.depth(inner)?,
                        None => 0,
                    };
                    1 + self.partial(&partial.name)?.max(block)
                }
                _ => 0,
            };
            deepest = deepest.max(depth);
            if deepest > MAX_DEPTH {
                // Deep enough to refuse; going on would only recurse further.
                break;
            }
        }
        Ok(deepest)
    }

    /// How deeply the partial called `name` nests, expanded.
    fn partial(&mut self, name: &Parameter) -> Result<usize, Problem> {
        let Some(name) = partial_name(name) else {
            return Err(Problem {
                offset: None,
                message: "a partial's name is computed (`{{> (...)}}`); write the name out, \
                          as in `{{> name}}`, so that the template can be checked"
                    .to_owned(),
            });
        };
        if let Some(depth) = self.known.get(&name) {
            return Ok(*depth);
        }
        if !self.expanding.insert(name.clone()) {
            return Err(Problem {
                offset: None,
                message: format!(
                    "the partial `{name}` includes itself, directly or through other \
                     partials, so it would never finish; remove the `{{{{> {name}}}}}` inside it"
                ),
            });
        }
        let bodies = self.definitions.get(&name).cloned().unwrap_or_default();
        let mut deepest = 0;
        for body in bodies {
            deepest = deepest.max(self.depth(body)?);
        }
        self.expanding.remove(&name);
        self.known.insert(name, deepest);
        Ok(deepest)
    }
}

/// Makes every `{{{value}}}` (and `{{{helper ...}}}`) a `{{value}}`: data is neutralised
/// wherever a template puts it, three braces or two.
pub(super) fn neutralise_triple_braces(template: &mut Compiled) {
    for element in &mut template.elements {
        if let TemplateElement::HtmlExpression(inner) = element {
            *element = TemplateElement::Expression(inner.clone());
        }
        match element {
            TemplateElement::HelperBlock(helper) => {
                for inner in [&mut helper.template, &mut helper.inverse]
                    .into_iter()
                    .flatten()
                {
                    neutralise_triple_braces(inner);
                }
            }
            TemplateElement::DecoratorBlock(decorator)
            | TemplateElement::PartialBlock(decorator) => {
                if let Some(inner) = &mut decorator.template {
                    neutralise_triple_braces(inner);
                }
            }
            _ => {}
        }
    }
}
