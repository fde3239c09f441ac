/**
 * JMS message selectors (JMS 2.0 §3.8.1, an SQL-92 conditional-expression
 * subset) for the embedded broker: `compileSelector` parses once and returns a
 * `Selector` whose `matches` is a tree of closures, so filtering a message
 * costs no parsing.
 *
 * Values follow JMS typing: exact numerics are Java longs (held as `bigint`),
 * approximate numerics are doubles (`number`). Every operator uses SQL
 * three-valued logic: NULL (an absent property) and type mismatches such as
 * comparing a string with a number are *unknown*, unknown propagates through
 * arithmetic and comparisons, AND/OR/NOT follow the JMS truth tables, and a
 * selector that ends unknown does not match.
 *
 * Identifiers name application properties, except the JMS header names, which
 * map onto the AMQP header and properties sections as Qpid and ActiveMQ map
 * them. The header names win over a same-named application property, as in
 * those brokers, so a property cannot pose as JMSPriority.
 *
 * Pure and browser-safe: no `node:*` imports.
 */
import type { Message } from '../rx/links/message.js';
import { AmqpError } from '../errors/amqp-error.js';
import { Condition } from '../errors/conditions.js';
import { Typed, type AmqpValue } from '../codec/types.js';

/** A compiled JMS message selector (see `compileSelector`). */
export interface Selector {
  /** The selector text as given to {@link compileSelector}. */
  readonly text: string;
  /** True only when the selector evaluates to TRUE for this message (unknown does not match). */
  matches(message: Message): boolean;
}

/** Longer selectors are refused outright; real selectors are far shorter, and this bounds compile time. */
export const MAX_SELECTOR_LENGTH = 65_536;
/**
 * How deep expressions may nest (parentheses, NOT and unary signs, and chains of
 * arithmetic). Parsing and evaluation recurse once per level, so a hostile
 * selector must fail with a SelectorError before it can exhaust the stack.
 */
export const MAX_SELECTOR_DEPTH = 128;

/** Raised by {@link compileSelector} for text that is not a valid selector; `position` is the 0-based offset at fault. */
export class SelectorError extends AmqpError {
  override readonly name = 'SelectorError';
  readonly selector: string;
  readonly position: number;

  constructor(selector: string, expected: string, position: number) {
    const shown = selector.length > 80 ? `${selector.slice(0, 80)}…` : selector;
    super(Condition.InvalidField, `selector ${JSON.stringify(shown)}: expected ${expected} at position ${position}`);
    this.selector = selector;
    this.position = position;
  }
}

// --- values --------------------------------------------------------------------------

/**
 * A property holding something selectors cannot compare (binary, a list, a map):
 * present, so IS NULL is false, but every operator on it is unknown.
 */
const UNSUPPORTED: unique symbol = Symbol('unsupported');
/** `null` is SQL NULL / unknown; `bigint` is a JMS exact numeric, `number` an approximate one. */
type SqlValue = boolean | number | bigint | string | null | typeof UNSUPPORTED;
type Truth = boolean | null;

/** A JS number that is integral is a long here, so header fields and timestamps divide as Java longs do. */
const long = (n: number): SqlValue => (Number.isInteger(n) ? BigInt(n) : n);
const isNumeric = (v: SqlValue): v is number | bigint => typeof v === 'number' || typeof v === 'bigint';
const truthOf = (v: SqlValue): Truth => (typeof v === 'boolean' ? v : null);

/** Maps an AMQP value to its JMS type: the AMQP integer types become longs, float a double, char/symbol/uuid strings. */
function fromAmqp(value: AmqpValue): SqlValue {
  if (value === null || value === undefined) return null;
  switch (typeof value) {
    case 'boolean':
    case 'number':
    case 'bigint':
    case 'string':
      return value;
  }
  if (value instanceof Typed) {
    const inner = value.value;
    switch (value.type) {
      case 'float':
        return inner as number;
      case 'ubyte':
      case 'ushort':
      case 'uint':
      case 'byte':
      case 'short':
      case 'int':
      case 'timestamp':
        return long(inner as number);
      case 'ulong':
        return inner as bigint;
      case 'char':
      case 'symbol':
      case 'uuid':
        return inner as string;
      default:
        return UNSUPPORTED; // decimal32/64/128: raw bytes, no arithmetic on them here
    }
  }
  if (value instanceof Date) return long(value.getTime());
  return UNSUPPORTED;
}

/** Message and correlation ids as JMS sees them: a string whatever their AMQP type. */
function idText(id: Message['messageId']): SqlValue {
  if (id === undefined || id === null) return null;
  if (typeof id === 'string') return id;
  if (typeof id === 'bigint') return id.toString();
  if (id instanceof Uint8Array)
    return Array.from(id, (b) => b.toString(16).padStart(2, '0'))
      .join('')
      .toUpperCase();
  return id.value;
}

/**
 * The JMS header fields a selector may name. JMSTimestamp and JMSExpiration are
 * Java longs that JMS sets to 0 when unset (Qpid JMS does the same for absent
 * AMQP fields), so `JMSExpiration = 0` finds messages that never expire.
 */
const JMS_HEADERS: Readonly<Record<string, (m: Message) => SqlValue>> = {
  JMSMessageID: (m) => idText(m.messageId),
  JMSCorrelationID: (m) => idText(m.correlationId),
  JMSPriority: (m) => long(m.priority ?? 4),
  JMSDeliveryMode: (m) => (m.durable ? 'PERSISTENT' : 'NON_PERSISTENT'),
  JMSTimestamp: (m) => long(m.creationTime?.getTime() ?? 0),
  JMSExpiration: (m) => long(m.absoluteExpiryTime?.getTime() ?? 0),
  JMSType: (m) => m.subject ?? null,
  JMSDestination: (m) => m.to ?? null,
  JMSReplyTo: (m) => m.replyTo ?? null,
};

function propertyReader(name: string): (m: Message) => SqlValue {
  if (Object.hasOwn(JMS_HEADERS, name)) return JMS_HEADERS[name]!;
  return (m) => {
    const props: unknown = m.applicationProperties;
    if (props instanceof Map) return props.has(name) ? fromAmqp(props.get(name) as AmqpValue) : null;
    const record = props as Readonly<Record<string, AmqpValue>> | undefined;
    // hasOwn, so `constructor` or `__proto__` never resolve to Object.prototype members.
    return record !== undefined && Object.hasOwn(record, name) ? fromAmqp(record[name]) : null;
  };
}

// --- operators (three-valued) ----------------------------------------------------------

type ComparisonOp = '=' | '<>' | '<' | '>' | '<=' | '>=';

/** JMS compares numbers with numbers (any mix of exact and approximate), and strings and booleans only for (in)equality. */
function compare(op: ComparisonOp, left: SqlValue, right: SqlValue): Truth {
  if (isNumeric(left) && isNumeric(right)) {
    // JS compares bigint with number by exact mathematical value, which is at least as precise as Java's
    // promotion; loose (in)equality is deliberate, since 5n === 5 is false but 5n == 5 is true.
    switch (op) {
      case '=':
        // biome-ignore lint/suspicious/noDoubleEquals: 5n == 5 (see above)
        return left == right;
      case '<>':
        // biome-ignore lint/suspicious/noDoubleEquals: 5n != 5 is false (see above)
        return left != right;
      case '<':
        return left < right;
      case '>':
        return left > right;
      case '<=':
        return left <= right;
      case '>=':
        return left >= right;
    }
  }
  const sameComparableType = (typeof left === 'string' && typeof right === 'string') || (typeof left === 'boolean' && typeof right === 'boolean');
  if (!sameComparableType) return null;
  if (op === '=') return left === right;
  if (op === '<>') return left !== right;
  return null;
}

type ArithmeticOp = '+' | '-' | '*' | '/';

/** Java numeric promotion: long op long stays a long (division truncates), anything with a double is a double. */
function arithmetic(op: ArithmeticOp, left: SqlValue, right: SqlValue): SqlValue {
  if (!isNumeric(left) || !isNumeric(right)) return null;
  if (typeof left === 'bigint' && typeof right === 'bigint') {
    switch (op) {
      case '+':
        return left + right;
      case '-':
        return left - right;
      case '*':
        return left * right;
      case '/':
        return right === 0n ? null : left / right; // Java would throw; an unanswerable question is unknown
    }
  }
  const a = Number(left);
  const b = Number(right);
  switch (op) {
    case '+':
      return a + b;
    case '-':
      return a - b;
    case '*':
      return a * b;
    case '/':
      return a / b;
  }
}

const and3 = (a: Truth, b: Truth): Truth => (a === false || b === false ? false : a === null || b === null ? null : true);
const or3 = (a: Truth, b: Truth): Truth => (a === true || b === true ? true : a === null || b === null ? null : false);
const not3 = (a: Truth): Truth => (a === null ? null : !a);

/** Turns a LIKE pattern into an anchored regular expression: `%` any run, `_` any one character, `escapeChar` quotes the next. */
function likePattern(pattern: string, escapeChar: string | undefined, fail: (expected: string) => never): RegExp {
  let source = '';
  const chars = Array.from(pattern); // by code point, so `_` matches one character even outside the BMP
  for (let i = 0; i < chars.length; i++) {
    const c = chars[i]!;
    if (c === escapeChar) {
      const next = chars[++i];
      if (next === undefined) fail('a character after the escape character');
      source += next.replace(/[\\^$.*+?()[\]{}|/]/g, '\\$&');
    } else if (c === '%') source += '.*';
    else if (c === '_') source += '.';
    else source += c.replace(/[\\^$.*+?()[\]{}|/]/g, '\\$&');
  }
  return new RegExp(`^${source}$`, 'su');
}

// --- tokens -----------------------------------------------------------------------------

const KEYWORDS = new Set(['AND', 'OR', 'NOT', 'BETWEEN', 'IN', 'LIKE', 'ESCAPE', 'IS', 'NULL', 'TRUE', 'FALSE']);
type Keyword = 'AND' | 'OR' | 'NOT' | 'BETWEEN' | 'IN' | 'LIKE' | 'ESCAPE' | 'IS' | 'NULL' | 'TRUE' | 'FALSE';

type Token =
  | { readonly type: 'keyword'; readonly word: Keyword; readonly pos: number }
  | { readonly type: 'identifier'; readonly name: string; readonly pos: number }
  | { readonly type: 'string'; readonly value: string; readonly pos: number }
  | { readonly type: 'number'; readonly value: number | bigint; readonly pos: number }
  | { readonly type: 'symbol'; readonly symbol: string; readonly pos: number }
  | { readonly type: 'end'; readonly pos: number };

// Java identifier start and part characters (Character.isJavaIdentifierStart/Part, near enough).
// `.` is allowed inside names as ActiveMQ allows it, for property names such as `order.region`.
const IDENTIFIER_START = /[\p{L}\p{Nl}$_]/u;
const IDENTIFIER_PART = /[\p{L}\p{Nl}\p{Nd}\p{Mn}\p{Mc}\p{Pc}$_.]/u;
const SYMBOLS = ['<>', '<=', '>=', '=', '<', '>', '+', '-', '*', '/', '(', ')', ','];

function tokenize(text: string, fail: (expected: string, pos: number) => never): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  const digitsFrom = (re: RegExp): string => {
    const start = i;
    while (i < text.length && re.test(text[i]!)) i++;
    return text.slice(start, i);
  };
  while (i < text.length) {
    const c = text[i]!;
    const pos = i;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    if (c === "'" || c === '"') {
      // 'string literal' or, as Qpid allows, a "quoted identifier"; a doubled quote stands for itself.
      let value = '';
      for (i++; ; i++) {
        if (i >= text.length) fail(`a closing ${c}`, i);
        if (text[i] === c) {
          if (text[i + 1] !== c) break;
          i++;
        }
        value += text[i];
      }
      i++;
      tokens.push(c === "'" ? { type: 'string', value, pos } : { type: 'identifier', name: value, pos });
    } else if (/[0-9]/.test(c) || (c === '.' && /[0-9]/.test(text[i + 1] ?? ''))) {
      tokens.push({ type: 'number', value: numberLiteral(), pos });
    } else if (IDENTIFIER_START.test(c)) {
      const start = i;
      for (i++; i < text.length && IDENTIFIER_PART.test(text[i]!); i++);
      const word = text.slice(start, i);
      const upper = word.toUpperCase();
      tokens.push(KEYWORDS.has(upper) ? { type: 'keyword', word: upper as Keyword, pos } : { type: 'identifier', name: word, pos });
    } else {
      const symbol = SYMBOLS.find((s) => text.startsWith(s, i));
      if (symbol === undefined) fail('a value, name or operator', i);
      tokens.push({ type: 'symbol', symbol, pos });
      i += symbol.length;
    }
  }
  tokens.push({ type: 'end', pos: text.length });
  return tokens;

  /** Java literal syntax: 0x hex, leading-0 octal, decimal, an optional L on exact ones; a point or exponent makes a double. */
  function numberLiteral(): number | bigint {
    const start = i;
    let exact: bigint | undefined;
    if (/^0[xX]/.test(text.slice(i, i + 2))) {
      i += 2;
      const hex = digitsFrom(/[0-9a-fA-F]/);
      if (hex === '') fail('a hexadecimal digit', i);
      exact = BigInt(`0x${hex}`);
    } else {
      const whole = digitsFrom(/[0-9]/);
      let approximate = false;
      if (text[i] === '.') {
        i++;
        digitsFrom(/[0-9]/);
        approximate = true;
      }
      if (text[i] === 'e' || text[i] === 'E') {
        i++;
        if (text[i] === '+' || text[i] === '-') i++;
        if (digitsFrom(/[0-9]/) === '') fail('an exponent digit', i);
        approximate = true;
      }
      if (approximate) return Number(text.slice(start, i));
      if (whole.length > 1 && whole[0] === '0') {
        const bad = whole.search(/[89]/);
        if (bad >= 0) fail('an octal digit', start + bad);
        exact = BigInt(`0o${whole.slice(1)}`);
      } else exact = BigInt(whole);
    }
    if (text[i] === 'l' || text[i] === 'L') i++;
    return exact;
  }
}

// --- parser -----------------------------------------------------------------------------

/** What an expression is known to produce before any message is seen; `any` for names, NULL and parentheses of those. */
type Kind = 'boolean' | 'numeric' | 'string' | 'any';
interface Expr {
  readonly kind: Kind;
  readonly pos: number;
  /** Nesting depth of the closure tree below this node, bounded by MAX_SELECTOR_DEPTH. */
  readonly depth: number;
  readonly evaluate: (m: Message) => SqlValue;
}

/** Compiles JMS selector text; throws {@link SelectorError} naming the position and what was expected there. */
export function compileSelector(text: string): Selector {
  const fail: (expected: string, pos: number) => never = (expected, pos) => {
    throw new SelectorError(text, expected, pos);
  };
  if (text.length > MAX_SELECTOR_LENGTH) fail(`at most ${MAX_SELECTOR_LENGTH} characters`, MAX_SELECTOR_LENGTH);
  const tokens = tokenize(text, fail);
  let at = 0;
  let nesting = 0;

  const peek = (): Token => tokens[at]!;
  const isKeyword = (word: Keyword, t: Token = peek()): boolean => t.type === 'keyword' && t.word === word;
  const isSymbol = (symbol: string, t: Token = peek()): boolean => t.type === 'symbol' && t.symbol === symbol;
  const expectKeyword = (word: Keyword): void => {
    if (!isKeyword(word)) fail(word, peek().pos);
    at++;
  };
  const expectSymbol = (symbol: string): void => {
    if (!isSymbol(symbol)) fail(`'${symbol}'`, peek().pos);
    at++;
  };
  const expectString = (what: string): { value: string; pos: number } => {
    const t = peek();
    if (t.type !== 'string') return fail(what, t.pos);
    at++;
    return t;
  };

  const tooDeep = `at most ${MAX_SELECTOR_DEPTH} levels of nesting`;
  /** `operatorPos` is where a too-deep error points: the operator that made the tree too tall. */
  const node = (kind: Kind, pos: number, children: readonly Expr[], evaluate: (m: Message) => SqlValue, operatorPos = pos): Expr => {
    let depth = 1;
    for (const c of children) depth = Math.max(depth, c.depth + 1);
    if (depth > MAX_SELECTOR_DEPTH) fail(tooDeep, operatorPos);
    return { kind, pos, depth, evaluate };
  };
  /** Guards each recursive descent (parentheses, NOT, unary signs) before it happens. */
  const descend = <T>(pos: number, parse: () => T): T => {
    if (++nesting > MAX_SELECTOR_DEPTH) fail(tooDeep, pos);
    try {
      return parse();
    } finally {
      nesting--;
    }
  };
  // Operands of a definite wrong type are grammar errors (`5 AND a`); names are only typed at match time.
  const requireKind = (e: Expr, kind: 'boolean' | 'numeric'): Expr => {
    if (e.kind !== 'any' && e.kind !== kind) fail(`a ${kind} expression`, e.pos);
    return e;
  };

  // OR and AND: operands joined by the keyword, folded in three-valued logic;
  // evaluation stops at the value that decides (true for OR, false for AND).
  function parseConnective(keyword: 'OR' | 'AND', operand: () => Expr, combine: (a: Truth, b: Truth) => Truth, decisive: boolean): Expr {
    const operands = [operand()];
    while (isKeyword(keyword)) {
      at++;
      operands.push(operand());
    }
    if (operands.length === 1) return operands[0]!;
    operands.forEach((e) => requireKind(e, 'boolean'));
    return node('boolean', operands[0]!.pos, operands, (m) => {
      let result: Truth = !decisive;
      for (const e of operands) {
        result = combine(result, truthOf(e.evaluate(m)));
        if (result === decisive) return decisive;
      }
      return result;
    });
  }

  function parseOr(): Expr {
    return parseConnective('OR', parseAnd, or3, true);
  }

  function parseAnd(): Expr {
    return parseConnective('AND', parseNot, and3, false);
  }

  function parseNot(): Expr {
    if (!isKeyword('NOT')) return parsePredicate();
    const pos = peek().pos;
    at++;
    const operand = requireKind(descend(pos, parseNot), 'boolean');
    return node('boolean', pos, [operand], (m) => not3(truthOf(operand.evaluate(m))));
  }

  function parsePredicate(): Expr {
    const left = parseAdditive();
    const t = peek();
    if (t.type === 'symbol' && ['=', '<>', '<', '>', '<=', '>='].includes(t.symbol)) {
      at++;
      const op = t.symbol as ComparisonOp;
      const right = parseAdditive();
      return node('boolean', left.pos, [left, right], (m) => compare(op, left.evaluate(m), right.evaluate(m)), t.pos);
    }
    if (isKeyword('IS')) {
      at++;
      const negated = isKeyword('NOT');
      if (negated) at++;
      expectKeyword('NULL');
      return node('boolean', left.pos, [left], (m) => (left.evaluate(m) === null) !== negated);
    }
    const negated = isKeyword('NOT');
    if (negated) at++;
    if (isKeyword('BETWEEN')) {
      at++;
      requireKind(left, 'numeric');
      const low = requireKind(parseAdditive(), 'numeric');
      expectKeyword('AND');
      const high = requireKind(parseAdditive(), 'numeric');
      // JMS defines both forms by expansion: a BETWEEN b AND c is a >= b AND a <= c; NOT BETWEEN is a < b OR a > c.
      return node('boolean', left.pos, [left, low, high], (m) => {
        const value = left.evaluate(m);
        const lo = low.evaluate(m);
        const hi = high.evaluate(m);
        return negated ? or3(compare('<', value, lo), compare('>', value, hi)) : and3(compare('>=', value, lo), compare('<=', value, hi));
      });
    }
    if (isKeyword('IN')) {
      at++;
      expectSymbol('(');
      const members = new Set([expectString('a string literal').value]);
      while (isSymbol(',')) {
        at++;
        members.add(expectString('a string literal').value);
      }
      expectSymbol(')');
      return node('boolean', left.pos, [left], (m) => {
        const value = left.evaluate(m);
        return typeof value === 'string' ? members.has(value) !== negated : null;
      });
    }
    if (isKeyword('LIKE')) {
      at++;
      const pattern = expectString('a string literal pattern');
      let escapeChar: string | undefined;
      if (isKeyword('ESCAPE')) {
        at++;
        const e = expectString('a string literal escape character');
        if (Array.from(e.value).length !== 1) fail('a single escape character', e.pos);
        escapeChar = e.value;
      }
      const regex = likePattern(pattern.value, escapeChar, (expected) => fail(expected, pattern.pos));
      return node('boolean', left.pos, [left], (m) => {
        const value = left.evaluate(m);
        return typeof value === 'string' ? regex.test(value) !== negated : null;
      });
    }
    if (negated) fail('BETWEEN, IN or LIKE', peek().pos);
    return left;
  }

  function parseAdditive(): Expr {
    let left = parseMultiplicative();
    for (let t = peek(); isSymbol('+', t) || isSymbol('-', t); t = peek()) {
      at++;
      left = binaryArithmetic(t, left, parseMultiplicative());
    }
    return left;
  }

  function parseMultiplicative(): Expr {
    let left = parseUnary();
    for (let t = peek(); isSymbol('*', t) || isSymbol('/', t); t = peek()) {
      at++;
      left = binaryArithmetic(t, left, parseUnary());
    }
    return left;
  }

  function binaryArithmetic(operator: Token, left: Expr, right: Expr): Expr {
    const op = (operator as { symbol: ArithmeticOp }).symbol;
    requireKind(left, 'numeric');
    requireKind(right, 'numeric');
    return node('numeric', left.pos, [left, right], (m) => arithmetic(op, left.evaluate(m), right.evaluate(m)), operator.pos);
  }

  function parseUnary(): Expr {
    const t = peek();
    if (!isSymbol('+', t) && !isSymbol('-', t)) return parsePrimary();
    at++;
    const operand = requireKind(descend(t.pos, parseUnary), 'numeric');
    if (isSymbol('+', t))
      return node('numeric', t.pos, [operand], (m) => {
        const v = operand.evaluate(m);
        return isNumeric(v) ? v : null;
      });
    return node('numeric', t.pos, [operand], (m) => {
      const v = operand.evaluate(m);
      return isNumeric(v) ? -v : null;
    });
  }

  function parsePrimary(): Expr {
    const t = peek();
    const constant = (kind: Kind, value: SqlValue): Expr => {
      at++;
      return node(kind, t.pos, [], () => value);
    };
    switch (t.type) {
      case 'number':
        return constant('numeric', t.value);
      case 'string':
        return constant('string', t.value);
      case 'identifier': {
        at++;
        return node('any', t.pos, [], propertyReader(t.name));
      }
      case 'keyword':
        if (t.word === 'TRUE' || t.word === 'FALSE') return constant('boolean', t.word === 'TRUE');
        if (t.word === 'NULL') return constant('any', null);
        break;
      case 'symbol':
        if (t.symbol === '(') {
          at++;
          const inner = descend(t.pos, parseOr);
          expectSymbol(')');
          return inner;
        }
        break;
      case 'end':
        break;
    }
    return fail('a value', t.pos);
  }

  const root = parseOr();
  if (peek().type !== 'end') fail('an operator or the end of the selector', peek().pos);
  requireKind(root, 'boolean');
  return {
    text,
    matches: (message: Message): boolean => root.evaluate(message) === true,
  };
}
