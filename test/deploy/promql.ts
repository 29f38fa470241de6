/**
 * Just enough of PromQL to check Sluice's dashboards and alert rules without a
 * Prometheus: a tokenizer, the metric selectors an expression reads (name and label
 * matchers), the label names of its `by`/`without`/`on`/`ignoring`/`group_*` clauses,
 * the functions it calls, and a split of alert expressions into their signals.
 *
 * ```
 *   sum by (job_name) (rate(sluice_task_numRecordsIn_total{job_name=~"$job"}[5m])) > 10
 *   └agg┘   └group┘    └fn┘ └──────── selector: metric + matchers ──────┘ └range┘ └cmp┘
 * ```
 *
 * Grafana's variables are replaced first ({@link substituteGrafanaVariables}) so the
 * same text can also be sent to Prometheus.
 *
 * @module
 */

/** A label matcher of a selector: `label op "value"`. */
export interface LabelMatcher {
  label: string;
  op: '=' | '!=' | '=~' | '!~';
  value: string;
}

/** A vector selector: `metric{matchers}`. */
export interface Selector {
  /** Metric name; empty for a selector without one (`{__name__=~"…"}`). */
  metric: string;
  matchers: LabelMatcher[];
  /** The selector's text, e.g. `sluice_task_channel_credit{job_name=~".*"}`. */
  text: string;
}

/** What an expression reads and uses. */
export interface ExpressionAnalysis {
  selectors: Selector[];
  /** Label names of grouping and matching clauses. */
  groupingLabels: string[];
  /** Functions and aggregation operators called. */
  functions: string[];
}

type TokenKind = 'ident' | 'string' | 'number' | 'punct' | 'op';
interface Token {
  kind: TokenKind;
  text: string;
  start: number;
  end: number;
}

/** PromQL's aggregation operators (Prometheus 2.42). */
export const AGGREGATIONS = new Set([
  'sum',
  'min',
  'max',
  'avg',
  'group',
  'stddev',
  'stdvar',
  'count',
  'count_values',
  'bottomk',
  'topk',
  'quantile',
]);

/** PromQL's functions (Prometheus 2.42, the version of Debian 12's package). */
export const FUNCTIONS = new Set([
  'abs',
  'absent',
  'absent_over_time',
  'acos',
  'acosh',
  'asin',
  'asinh',
  'atan',
  'atanh',
  'avg_over_time',
  'ceil',
  'changes',
  'clamp',
  'clamp_max',
  'clamp_min',
  'cos',
  'cosh',
  'count_over_time',
  'day_of_month',
  'day_of_week',
  'day_of_year',
  'days_in_month',
  'deg',
  'delta',
  'deriv',
  'exp',
  'floor',
  'histogram_quantile',
  'holt_winters',
  'hour',
  'idelta',
  'increase',
  'irate',
  'label_join',
  'label_replace',
  'last_over_time',
  'ln',
  'log10',
  'log2',
  'max_over_time',
  'min_over_time',
  'minute',
  'month',
  'pi',
  'predict_linear',
  'present_over_time',
  'quantile_over_time',
  'rad',
  'rate',
  'resets',
  'round',
  'scalar',
  'sgn',
  'sin',
  'sinh',
  'sort',
  'sort_desc',
  'sqrt',
  'stddev_over_time',
  'stdvar_over_time',
  'sum_over_time',
  'tan',
  'tanh',
  'time',
  'timestamp',
  'vector',
  'year',
]);

const GROUPING = new Set(['by', 'without', 'on', 'ignoring', 'group_left', 'group_right']);
const KEYWORDS = new Set(['and', 'or', 'unless', 'bool', 'offset', 'atan2', 'inf', 'nan']);

/**
 * Replaces Grafana's variables so that the expression is plain PromQL: `$__rate_interval`
 * and `$__interval` by `rateInterval`, `$__range` by `5m`, any other `$var` / `${var}` /
 * `[[var]]` by `.*` (the dashboards use them only inside `=~` matchers, as "All").
 *
 * @param expr - a dashboard query
 * @param rateInterval - what `$__rate_interval` stands for
 * @returns the expression Prometheus can run
 */
export function substituteGrafanaVariables(expr: string, rateInterval = '1m'): string {
  return expr
    .replace(/\$__rate_interval|\$\{__rate_interval\}/g, rateInterval)
    .replace(/\$__interval|\$\{__interval\}/g, rateInterval)
    .replace(/\$__range|\$\{__range\}/g, '5m')
    .replace(/\$\{[A-Za-z_]\w*(?::\w+)?\}|\$[A-Za-z_]\w*|\[\[[A-Za-z_]\w*\]\]/g, '.*');
}

/**
 * Splits PromQL text into tokens; comments (`# …`) and whitespace are dropped.
 *
 * @throws Error on an unterminated string or a character PromQL does not have
 */
export function tokenize(expr: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < expr.length) {
    const c = expr[i]!;
    if (/\s/.test(c)) {
      i++;
    } else if (c === '#') {
      while (i < expr.length && expr[i] !== '\n') i++;
    } else if (c === '"' || c === "'" || c === '`') {
      const start = i++;
      while (i < expr.length && expr[i] !== c) i += expr[i] === '\\' && c !== '`' ? 2 : 1;
      if (i >= expr.length) throw new Error(`unterminated string at ${start} in: ${expr}`);
      i++;
      tokens.push({ kind: 'string', text: expr.slice(start, i), start, end: i });
    } else if (/[A-Za-z_:]/.test(c)) {
      const start = i;
      while (i < expr.length && /[A-Za-z0-9_:]/.test(expr[i]!)) i++;
      tokens.push({ kind: 'ident', text: expr.slice(start, i), start, end: i });
    } else if (/[0-9.]/.test(c)) {
      const start = i;
      // numbers, 1e3, hex, and durations such as 5m or 1h30m
      while (i < expr.length && /[0-9.a-zA-Z_+-]/.test(expr[i]!)) {
        if ((expr[i] === '+' || expr[i] === '-') && !/[eE]/.test(expr[i - 1]!)) break;
        i++;
      }
      tokens.push({ kind: 'number', text: expr.slice(start, i), start, end: i });
    } else if ('(){}[],'.includes(c)) {
      tokens.push({ kind: 'punct', text: c, start: i, end: i + 1 });
      i++;
    } else {
      const two = expr.slice(i, i + 2);
      const op = ['==', '!=', '>=', '<=', '=~', '!~'].includes(two) ? two : c;
      if (!'+-*/%^=<>!:@'.includes(op[0]!)) {
        throw new Error(`unexpected character ${JSON.stringify(c)} at ${i} in: ${expr}`);
      }
      tokens.push({ kind: 'op', text: op, start: i, end: i + op.length });
      i += op.length;
    }
  }
  return tokens;
}

function unquote(text: string): string {
  const body = text.slice(1, -1);
  return text[0] === '`' ? body : body.replace(/\\(.)/g, '$1');
}

/**
 * Finds the selectors, grouping labels and functions of an expression.
 *
 * @param expr - PromQL without Grafana variables
 * @returns what it reads
 * @throws Error when the expression is malformed in a way this reader notices
 */
export function analyzeExpression(expr: string): ExpressionAnalysis {
  const tokens = tokenize(expr);
  const out: ExpressionAnalysis = { selectors: [], groupingLabels: [], functions: [] };
  let i = 0;
  const next = () => tokens[i + 1];
  const readMatchers = (open: number): { matchers: LabelMatcher[]; close: number } => {
    const matchers: LabelMatcher[] = [];
    let j = open + 1;
    while (j < tokens.length && tokens[j]!.text !== '}') {
      const label = tokens[j];
      const op = tokens[j + 1];
      const value = tokens[j + 2];
      if (
        label?.kind !== 'ident' ||
        op === undefined ||
        !['=', '!=', '=~', '!~'].includes(op.text) ||
        value?.kind !== 'string'
      ) {
        throw new Error(`malformed label matcher at ${label?.start ?? expr.length} in: ${expr}`);
      }
      matchers.push({
        label: label.text,
        op: op.text as LabelMatcher['op'],
        value: unquote(value.text),
      });
      j += 3;
      if (tokens[j]?.text === ',') j++;
    }
    if (j >= tokens.length) throw new Error(`unclosed { in: ${expr}`);
    return { matchers, close: j };
  };
  const readGrouping = (open: number): number => {
    let j = open + 1;
    while (j < tokens.length && tokens[j]!.text !== ')') {
      const t = tokens[j]!;
      if (t.kind === 'ident') out.groupingLabels.push(t.text);
      else if (t.text !== ',') throw new Error(`unexpected ${t.text} in a label list in: ${expr}`);
      j++;
    }
    return j;
  };
  for (; i < tokens.length; i++) {
    const t = tokens[i]!;
    if (t.kind === 'punct' && t.text === '[') {
      while (i < tokens.length && tokens[i]!.text !== ']') i++;
      continue;
    }
    if (t.kind === 'punct' && t.text === '{') {
      const { matchers, close } = readMatchers(i);
      out.selectors.push({ metric: '', matchers, text: expr.slice(t.start, tokens[close]!.end) });
      i = close;
      continue;
    }
    if (t.kind !== 'ident') continue;
    const lower = t.text.toLowerCase();
    if (GROUPING.has(lower)) {
      if (next()?.text === '(') i = readGrouping(i + 1);
      continue;
    }
    if (KEYWORDS.has(lower)) {
      if (lower === 'offset') i++; // its duration
      continue;
    }
    if (AGGREGATIONS.has(lower) && (next()?.text === '(' || GROUPING.has(next()?.text ?? ''))) {
      out.functions.push(lower);
      continue;
    }
    if (next()?.text === '(') {
      out.functions.push(t.text);
      continue;
    }
    // a metric name, maybe with matchers
    let matchers: LabelMatcher[] = [];
    let end = t.end;
    if (next()?.text === '{') {
      const read = readMatchers(i + 1);
      matchers = read.matchers;
      end = tokens[read.close]!.end;
      i = read.close;
    }
    out.selectors.push({ metric: t.text, matchers, text: expr.slice(t.start, end) });
  }
  return out;
}

/**
 * Splits an alert expression into its signals: operands of top-level `and` / `or` /
 * `unless` (with their `on (…)` clauses dropped), each without a trailing comparison
 * with a number. Without the threshold, each signal of a rule must return series for a
 * running job; with it, the alert fires only when something is wrong.
 *
 * @param expr - an alert rule's expression
 * @returns the signals, e.g. `['max by (x) (m)']` for `max by (x) (m) > 5`
 */
export function alertSignals(expr: string): string[] {
  const tokens = tokenize(expr);
  const parts: string[] = [];
  let depth = 0;
  let start = 0;
  const cut = (end: number) => parts.push(expr.slice(start, end));
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!;
    if ('([{'.includes(t.text) && t.kind === 'punct') depth++;
    else if (')]}'.includes(t.text) && t.kind === 'punct') depth--;
    else if (depth === 0 && t.kind === 'ident' && ['and', 'or', 'unless'].includes(t.text)) {
      cut(t.start);
      let j = i + 1;
      if (tokens[j] !== undefined && ['on', 'ignoring'].includes(tokens[j]!.text)) {
        j++;
        while (j < tokens.length && tokens[j]!.text !== ')') j++;
        j++;
      }
      start = tokens[j]?.start ?? expr.length;
      i = j - 1;
    }
  }
  cut(expr.length);
  return parts.map((p) =>
    p
      .trim()
      .replace(/\s*(?:==|!=|>=|<=|>|<)\s*(?:bool\s+)?-?[0-9.]+(?:e[+-]?[0-9]+)?\s*$/i, '')
      .trim(),
  );
}
