import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { compileSelector, MAX_SELECTOR_DEPTH, MAX_SELECTOR_LENGTH, SelectorError } from './selector.js';
import { AmqpError } from '../errors/amqp-error.js';
import { Condition } from '../errors/conditions.js';
import { byte, char, decimal32, float, int, short, symbol, timestamp, ubyte, uint, ulong, ushort, uuid, type AmqpValue } from '../codec/types.js';
import type { Message } from '../rx/links/message.js';

const withProps = (applicationProperties: Record<string, AmqpValue>): Message => ({ applicationProperties });
const matches = (selector: string, message: Message = {}): boolean => compileSelector(selector).matches(message);

/**
 * The three-valued result of a boolean selector, read back through `matches` only:
 * TRUE matches, FALSE is what makes NOT match, and unknown matches neither way.
 */
function truth(selector: string, message: Message = {}): boolean | null {
  if (matches(selector, message)) return true;
  if (matches(`NOT (${selector})`, message)) return false;
  return null;
}

/** The SelectorError that compiling `text` raises. */
function errorOf(text: string): SelectorError {
  try {
    compileSelector(text);
  } catch (e) {
    if (e instanceof SelectorError) return e;
    throw e;
  }
  throw new Error(`expected ${JSON.stringify(text)} to be rejected`);
}

describe('compileSelector', () => {
  it('keeps the text and returns a reusable matcher', () => {
    const s = compileSelector("color = 'red'");
    expect(s.text).toBe("color = 'red'");
    expect(s.matches(withProps({ color: 'red' }))).toBe(true);
    expect(s.matches(withProps({ color: 'blue' }))).toBe(false);
    expect(s.matches({})).toBe(false);
  });

  describe('literals', () => {
    it.each([
      ['n = 57', 57],
      ['n = -957', -957],
      ['n = +62', 62],
      ['n = 0x1F', 31],
      ['n = 0X1f', 31],
      ['n = 017', 15],
      ['n = 0', 0],
      ['n = 42L', 42],
      ['n = 42l', 42],
      ['n = 0x10L', 16],
      ['n = 7E3', 7000],
      ['n = -57.9E2', -5790],
      ['n = 7.', 7],
      ['n = .5', 0.5],
      ['n = 1.5e-1', 0.15],
      ['n = 2E+2', 200],
    ])('%s holds for n = %d', (selector, n) => {
      expect(matches(selector, withProps({ n }))).toBe(true);
      expect(matches(selector, withProps({ n: n + 1 }))).toBe(false);
    });

    it('reads exact literals beyond 2^53 without rounding', () => {
      expect(matches('n = 9223372036854775807', withProps({ n: 9223372036854775807n }))).toBe(true);
      expect(matches('n = 9007199254740993', withProps({ n: 9007199254740992n }))).toBe(false);
    });

    it("reads strings with '' as an embedded quote", () => {
      expect(matches("s = 'it''s'", withProps({ s: "it's" }))).toBe(true);
      expect(matches("s = ''", withProps({ s: '' }))).toBe(true);
      expect(matches("s = 'héllo ✓ 𝄞'", withProps({ s: 'héllo ✓ 𝄞' }))).toBe(true);
    });

    it('has TRUE, FALSE and NULL', () => {
      expect(truth('TRUE')).toBe(true);
      expect(truth('FALSE')).toBe(false);
      expect(truth('NULL')).toBe(null);
      expect(truth('NULL = NULL')).toBe(null);
    });
  });

  describe('names', () => {
    it('treats keywords case-insensitively and identifiers case-sensitively', () => {
      const m = withProps({ Color: 'red', n: 3 });
      expect(matches("Color = 'red' aNd n bEtWeEn 1 AnD 5 or FALSE", m)).toBe(true);
      expect(matches("color = 'red'", m)).toBe(false);
      expect(matches("Color IS not null AND n not IN ('x') OR n lIkE 'y'", withProps({ Color: 'x', n: 'z' }))).toBe(true);
      expect(matches('flag = true', withProps({ flag: true }))).toBe(true);
    });

    it('accepts $, _, digits, dots and "quoted" names', () => {
      const m = withProps({ $a: 1, _b2: 2, 'order.region': 'eu', 'odd name': 4, 'say "hi"': 5 });
      expect(matches("$a = 1 AND _b2 = 2 AND order.region = 'eu'", m)).toBe(true);
      expect(matches('"odd name" = 4 AND "say ""hi""" = 5 AND "$a" = 1', m)).toBe(true);
      expect(matches('"AND" = 1', withProps({ AND: 1 }))).toBe(true);
    });

    it('reads only own properties, never Object.prototype members', () => {
      expect(truth('constructor IS NULL AND toString IS NULL AND __proto__ IS NULL', withProps({}))).toBe(true);
    });

    it('lets a boolean property stand alone as the selector', () => {
      expect(truth('urgent', withProps({ urgent: true }))).toBe(true);
      expect(truth('urgent', withProps({ urgent: false }))).toBe(false);
      expect(truth('urgent', withProps({ urgent: 'yes' }))).toBe(null);
      expect(truth('urgent', {})).toBe(null);
    });
  });

  describe('comparison', () => {
    it.each([
      ['n = 5', true],
      ['n <> 5', false],
      ['n < 5', false],
      ['n > 5', false],
      ['n <= 5', true],
      ['n >= 5', true],
      ['n = 6', false],
      ['n <> 6', true],
      ['n < 6', true],
      ['n > 4', true],
      ['n <= 4', false],
      ['n >= 6', false],
    ])('%s for n = 5 is %s', (selector, expected) => {
      expect(truth(selector, withProps({ n: 5 }))).toBe(expected);
      expect(truth(selector, withProps({ n: 5n }))).toBe(expected);
    });

    it('compares exact with approximate numbers', () => {
      expect(truth('n = 5.0', withProps({ n: 5n }))).toBe(true);
      expect(truth('n < 5.5', withProps({ n: 5n }))).toBe(true);
      expect(truth('n > 2', withProps({ n: 2.5 }))).toBe(true);
    });

    it('compares strings and booleans only with = and <>', () => {
      const m = withProps({ s: 'b', t: true });
      expect(truth("s = 'b'", m)).toBe(true);
      expect(truth("s <> 'b'", m)).toBe(false);
      expect(truth("s <> 'a'", m)).toBe(true);
      expect(truth("s > 'a'", m)).toBe(null);
      expect(truth("s <= 'c'", m)).toBe(null);
      expect(truth('t = TRUE', m)).toBe(true);
      expect(truth('t <> FALSE', m)).toBe(true);
      expect(truth('t > FALSE', m)).toBe(null);
      expect(truth('(n > 1) = TRUE', withProps({ n: 2 }))).toBe(true);
    });

    it('makes comparing different types unknown, neither true nor false', () => {
      expect(truth("n = '5'", withProps({ n: 5 }))).toBe(null);
      expect(truth("n <> '5'", withProps({ n: 5 }))).toBe(null);
      expect(truth('s = 5', withProps({ s: '5' }))).toBe(null);
      expect(truth('b = 1', withProps({ b: true }))).toBe(null);
      expect(truth("'a' = 1")).toBe(null);
    });

    it('makes any comparison with NULL unknown', () => {
      for (const op of ['=', '<>', '<', '>', '<=', '>=']) {
        expect(truth(`missing ${op} 1`)).toBe(null);
        expect(truth(`1 ${op} missing`)).toBe(null);
      }
    });

    it('keeps NaN comparisons false, as Java does', () => {
      expect(truth('n = n', withProps({ n: Number.NaN }))).toBe(false);
      expect(truth('n < 1', withProps({ n: Number.NaN }))).toBe(false);
    });
  });

  describe('arithmetic', () => {
    it.each([
      ['1 + 2 = 3'],
      ['5 - 7 = -2'],
      ['3 * 4 = 12'],
      ['7 / 2 = 3'],
      ['-7 / 2 = -3'],
      ['7.0 / 2 = 3.5'],
      ['7 / 2.0 = 3.5'],
      ['1 + 2 * 3 = 7'],
      ['(1 + 2) * 3 = 9'],
      ['10 - 4 - 3 = 3'],
      ['12 / 3 / 2 = 2'],
      ['- -3 = 3'],
      ['-(2 + 3) = -5'],
      ['+4 = 4'],
      ['2 * -3 = -6'],
      ['9223372036854775807 + 1 > 9223372036854775807'],
      ['1.0 / 0 > 1E308'],
    ])('%s', (selector) => {
      expect(truth(selector)).toBe(true);
    });

    it('uses property values, long division for exact ones', () => {
      const m = withProps({ qty: int(7), price: 2.5, big: 10n });
      expect(truth('qty * price = 17.5', m)).toBe(true);
      expect(truth('qty / 2 = 3', m)).toBe(true);
      expect(truth('big / 4 = 2', m)).toBe(true);
      expect(truth('price / 2 = 1.25', m)).toBe(true);
    });

    it('is unknown with a NULL or non-numeric operand, or an exact division by zero', () => {
      expect(truth('missing + 1 = 1')).toBe(null);
      expect(truth('-missing = 0')).toBe(null);
      expect(truth('+s = 0', withProps({ s: 'x' }))).toBe(null);
      expect(truth('s * 2 = 2', withProps({ s: '1' }))).toBe(null);
      expect(truth('b + 1 = 2', withProps({ b: true }))).toBe(null);
      expect(truth('1 / 0 = 0')).toBe(null);
      expect(truth('n / 0 > 0', withProps({ n: 1n }))).toBe(null);
    });
  });

  describe('three-valued logic', () => {
    const m = withProps({ t: true, f: false }); // `u` is absent: unknown
    const value = { t: true, f: false, u: null } as const;

    it.each([
      ['t', 't', true],
      ['t', 'f', false],
      ['t', 'u', null],
      ['f', 't', false],
      ['f', 'f', false],
      ['f', 'u', false],
      ['u', 't', null],
      ['u', 'f', false],
      ['u', 'u', null],
    ] as const)('%s AND %s is %s', (a, b, expected) => {
      expect(truth(`${a} AND ${b}`, m)).toBe(expected);
    });

    it.each([
      ['t', 't', true],
      ['t', 'f', true],
      ['t', 'u', true],
      ['f', 't', true],
      ['f', 'f', false],
      ['f', 'u', null],
      ['u', 't', true],
      ['u', 'f', null],
      ['u', 'u', null],
    ] as const)('%s OR %s is %s', (a, b, expected) => {
      expect(truth(`${a} OR ${b}`, m)).toBe(expected);
    });

    it('NOT flips true and false and leaves unknown unknown', () => {
      expect(truth('NOT t', m)).toBe(false);
      expect(truth('NOT f', m)).toBe(true);
      expect(truth('NOT u', m)).toBe(null);
      expect(matches('NOT u', m)).toBe(false);
      expect(matches('NOT NOT u', m)).toBe(false);
      expect(truth('NOT NOT t', m)).toBe(true);
      expect(value.u).toBe(null);
    });

    it('binds NOT tighter than AND, and AND tighter than OR', () => {
      expect(truth('t OR t AND f', m)).toBe(true);
      expect(truth('(t OR t) AND f', m)).toBe(false);
      expect(truth('NOT f AND f', m)).toBe(false);
      expect(truth('NOT (f AND f)', m)).toBe(true);
      expect(truth('f AND u OR t', m)).toBe(true);
    });

    it('treats a non-boolean operand of AND, OR and NOT as unknown', () => {
      const n = withProps({ n: 1, s: 'true' });
      expect(truth('n AND TRUE', n)).toBe(null);
      expect(truth('n AND FALSE', n)).toBe(false);
      expect(truth('s OR TRUE', n)).toBe(true);
      expect(truth('NOT s', n)).toBe(null);
    });

    it('evaluates long OR chains without deep recursion', () => {
      const selector = Array.from({ length: 2000 }, (_, i) => `n = ${i}`).join(' OR ');
      expect(matches(selector, withProps({ n: 1999 }))).toBe(true);
      expect(matches(selector, withProps({ n: 2000 }))).toBe(false);
    });
  });

  describe('BETWEEN', () => {
    it.each([
      [15, true],
      [17, true],
      [19, true],
      [14, false],
      [20, false],
      [14.5, false],
      [19.0, true],
    ])('age BETWEEN 15 AND 19 for age = %d is %s, NOT BETWEEN the opposite', (age, expected) => {
      expect(truth('age BETWEEN 15 AND 19', withProps({ age }))).toBe(expected);
      expect(truth('age NOT BETWEEN 15 AND 19', withProps({ age }))).toBe(!expected);
    });

    it('takes arithmetic bounds and binds its AND before the logical one', () => {
      expect(truth('n BETWEEN 1 + 1 AND 2 * 3 AND TRUE', withProps({ n: 6 }))).toBe(true);
      expect(truth('n * 2 BETWEEN lo AND hi', withProps({ n: 3, lo: 6, hi: 6 }))).toBe(true);
    });

    it('follows its expansion when something is NULL', () => {
      expect(truth('missing BETWEEN 1 AND 2')).toBe(null);
      expect(truth('missing NOT BETWEEN 1 AND 2')).toBe(null);
      // 5 >= 1 AND 5 <= NULL is unknown; 0 >= 1 AND ... is false.
      expect(truth('n BETWEEN 1 AND hi', withProps({ n: 5 }))).toBe(null);
      expect(truth('n BETWEEN 1 AND hi', withProps({ n: 0 }))).toBe(false);
      // 0 < 1 OR 0 > NULL is true; 5 < 1 OR 5 > NULL is unknown.
      expect(truth('n NOT BETWEEN 1 AND hi', withProps({ n: 0 }))).toBe(true);
      expect(truth('n NOT BETWEEN 1 AND hi', withProps({ n: 5 }))).toBe(null);
      expect(truth('s BETWEEN lo AND hi', withProps({ s: 'm', lo: 'a', hi: 'z' }))).toBe(null);
    });
  });

  describe('IN', () => {
    it('tests membership in a list of strings', () => {
      const uk = withProps({ Country: 'UK' });
      const peru = withProps({ Country: 'Peru' });
      expect(truth("Country IN ('UK', 'US', 'France')", uk)).toBe(true);
      expect(truth("Country IN ('UK', 'US', 'France')", peru)).toBe(false);
      expect(truth("Country NOT IN ('UK', 'US', 'France')", uk)).toBe(false);
      expect(truth("Country NOT IN ('UK', 'US', 'France')", peru)).toBe(true);
      expect(truth("Country IN ('UK')", uk)).toBe(true);
      expect(truth("s IN ('it''s')", withProps({ s: "it's" }))).toBe(true);
    });

    it('is unknown for NULL and for a non-string value', () => {
      expect(truth("missing IN ('a')")).toBe(null);
      expect(truth("missing NOT IN ('a')")).toBe(null);
      expect(truth("n IN ('1')", withProps({ n: 1 }))).toBe(null);
      expect(truth("n NOT IN ('1')", withProps({ n: 1 }))).toBe(null);
    });
  });

  describe('LIKE', () => {
    it.each([
      ["phone LIKE '12%3'", '123', true],
      ["phone LIKE '12%3'", '12993', true],
      ["phone LIKE '12%3'", '1234', false],
      ["word LIKE 'l_se'", 'lose', true],
      ["word LIKE 'l_se'", 'loose', false],
      ["word LIKE 'l_se'", 'lse', false],
      ["s LIKE '%'", '', true],
      ["s LIKE '_'", '𝄞', true],
      ["s LIKE 'a%'", 'a\nb', true],
      ["s LIKE 'a.c'", 'abc', false],
      ["s LIKE 'a.c'", 'a.c', true],
      ["s LIKE '(x)+[y]*'", '(x)+[y]*', true],
      ["s LIKE 'A%'", 'abc', false],
    ])('%s for %j is %s', (selector, s, expected) => {
      expect(truth(selector, withProps({ s, phone: s, word: s }))).toBe(expected);
      expect(truth(selector.replace(' LIKE ', ' NOT LIKE '), withProps({ s, phone: s, word: s }))).toBe(!expected);
    });

    it('honours an ESCAPE character', () => {
      expect(truth("underscored LIKE '\\_%' ESCAPE '\\'", withProps({ underscored: '_foo' }))).toBe(true);
      expect(truth("underscored LIKE '\\_%' ESCAPE '\\'", withProps({ underscored: 'bar' }))).toBe(false);
      expect(truth("s LIKE '100!%' ESCAPE '!'", withProps({ s: '100%' }))).toBe(true);
      expect(truth("s LIKE '100!%' ESCAPE '!'", withProps({ s: '1000' }))).toBe(false);
      expect(truth("s LIKE 'a!!b' ESCAPE '!'", withProps({ s: 'a!b' }))).toBe(true);
      expect(truth("s NOT LIKE '!_' ESCAPE '!'", withProps({ s: 'x' }))).toBe(true);
      expect(truth("s LIKE '%%' ESCAPE '%'", withProps({ s: '%' }))).toBe(true);
      expect(truth("s LIKE '%%' ESCAPE '%'", withProps({ s: 'x' }))).toBe(false);
    });

    it('is unknown for NULL and for a non-string value', () => {
      expect(truth("missing LIKE '%'")).toBe(null);
      expect(truth("missing NOT LIKE '%'")).toBe(null);
      expect(truth("n LIKE '%'", withProps({ n: 1 }))).toBe(null);
    });
  });

  describe('IS NULL', () => {
    it('is true exactly when the value is absent or null', () => {
      expect(truth('p IS NULL', withProps({}))).toBe(true);
      expect(truth('p IS NULL', withProps({ p: null }))).toBe(true);
      expect(truth('p IS NULL', withProps({ p: 0 }))).toBe(false);
      expect(truth('p IS NULL', withProps({ p: '' }))).toBe(false);
      expect(truth('p IS NULL', withProps({ p: false }))).toBe(false);
      expect(truth('p IS NOT NULL', withProps({ p: 0 }))).toBe(true);
      expect(truth('p IS NOT NULL', {})).toBe(false);
      expect(truth('p + 1 IS NULL', {})).toBe(true);
    });

    it('sees a property of an uncomparable type as present but unknown in every operator', () => {
      const m = withProps({ bin: new Uint8Array([1]), list: [1], dec: decimal32(new Uint8Array(4)) });
      for (const p of ['bin', 'list', 'dec']) {
        expect(truth(`${p} IS NOT NULL`, m)).toBe(true);
        expect(truth(`${p} = ${p}`, m)).toBe(null);
        expect(truth(`${p} + 1 = 1`, m)).toBe(null);
        expect(truth(`${p} IN ('a')`, m)).toBe(null);
        expect(truth(`${p} LIKE '%'`, m)).toBe(null);
        expect(truth(p, m)).toBe(null);
      }
    });
  });

  describe('property values', () => {
    it('unwraps typed AMQP numbers as longs and float as a double', () => {
      const m = withProps({
        i: int(5),
        s: short(-3),
        b: byte(7),
        ub: ubyte(200),
        us: ushort(60000),
        ui: uint(4000000000),
        ul: ulong(18446744073709551615n),
        f: float(1.5),
        l: -9223372036854775808n,
      });
      expect(truth('i = 5 AND i / 2 = 2 AND i > 4.5', m)).toBe(true);
      expect(truth('s = -3 AND b = 7 AND ub = 200 AND us = 60000 AND ui = 4000000000', m)).toBe(true);
      expect(truth('ul = 18446744073709551615 AND ul > 9223372036854775807', m)).toBe(true);
      expect(truth('f = 1.5 AND f / 2 = 0.75', m)).toBe(true);
      expect(truth('l = -9223372036854775808 AND l < 0', m)).toBe(true);
      expect(truth("i = '5'", m)).toBe(null);
    });

    it('reads symbols, chars and uuids as strings, timestamps and Dates as milliseconds', () => {
      const m = withProps({
        sym: symbol('orders'),
        c: char('x'),
        id: uuid('123e4567-e89b-12d3-a456-426614174000'),
        ts: timestamp(1700000000000),
        when: new Date(1700000000000),
      });
      expect(truth("sym = 'orders' AND sym LIKE 'ord%' AND c = 'x' AND id = '123e4567-e89b-12d3-a456-426614174000'", m)).toBe(true);
      expect(truth('ts = 1700000000000 AND when = ts AND ts / 1000 = 1700000000', m)).toBe(true);
    });
  });

  describe('JMS header fields', () => {
    const message: Message = {
      messageId: 'ID:abc',
      correlationId: 'corr-1',
      priority: 7,
      durable: true,
      creationTime: new Date(1700000000000),
      absoluteExpiryTime: new Date(1700000060000),
      subject: 'order.created',
      to: 'queue://orders',
      replyTo: 'queue://replies',
      applicationProperties: { JMSPriority: 1, region: 'eu' },
    };

    it.each([
      ["JMSMessageID = 'ID:abc'"],
      ["JMSCorrelationID = 'corr-1'"],
      ['JMSPriority = 7'],
      ['JMSPriority > 4'],
      ["JMSDeliveryMode = 'PERSISTENT'"],
      ['JMSTimestamp = 1700000000000'],
      ['JMSExpiration - JMSTimestamp = 60000'],
      ["JMSType = 'order.created'"],
      ["JMSDestination = 'queue://orders'"],
      ["JMSReplyTo = 'queue://replies'"],
      ["JMSPriority BETWEEN 5 AND 9 AND region = 'eu' AND JMSType LIKE 'order.%'"],
    ])('%s', (selector) => {
      expect(truth(selector, message)).toBe(true);
    });

    it('lets the header win over an application property of the same name', () => {
      expect(truth('JMSPriority = 1', message)).toBe(false);
    });

    it('uses the JMS defaults when the AMQP fields are absent', () => {
      expect(truth('JMSPriority = 4')).toBe(true);
      expect(truth("JMSDeliveryMode = 'NON_PERSISTENT'")).toBe(true);
      expect(truth('JMSTimestamp = 0 AND JMSExpiration = 0')).toBe(true);
      for (const name of ['JMSMessageID', 'JMSCorrelationID', 'JMSType', 'JMSDestination', 'JMSReplyTo']) {
        expect(truth(`${name} IS NULL`)).toBe(true);
      }
    });

    it('reads non-string message ids as strings', () => {
      expect(truth("JMSMessageID = '42'", { messageId: 42n })).toBe(true);
      expect(truth("JMSMessageID = '0AFF'", { messageId: new Uint8Array([0x0a, 0xff]) })).toBe(true);
      expect(truth("JMSCorrelationID = '123e4567-e89b-12d3-a456-426614174000'", { correlationId: uuid('123e4567-e89b-12d3-a456-426614174000') })).toBe(true);
    });
  });

  describe('errors', () => {
    it('is an AmqpError with the invalid-field condition, the position and the selector', () => {
      const e = errorOf('a >');
      expect(e).toBeInstanceOf(AmqpError);
      expect(e.name).toBe('SelectorError');
      expect(e.condition).toBe(Condition.InvalidField);
      expect(e.position).toBe(3);
      expect(e.selector).toBe('a >');
      expect(e.description).toBe('selector "a >": expected a value at position 3');
      expect(e.message).toBe('amqp:invalid-field: selector "a >": expected a value at position 3');
    });

    it.each([
      ['', 'a value', 0],
      ['a >', 'a value', 3],
      ['(a = 1', "')'", 6],
      ['a = 1)', 'an operator or the end of the selector', 5],
      ['a = 1 = 2', 'an operator or the end of the selector', 6],
      ["s = 'open", "a closing '", 9],
      ['"name = 1', 'a closing "', 9],
      ['a # 1', 'a value, name or operator', 2],
      ['a = 0x', 'a hexadecimal digit', 6],
      ['a = 019', 'an octal digit', 6],
      ['a = 1e+', 'an exponent digit', 7],
      ['a NOT 5', 'BETWEEN, IN or LIKE', 6],
      ['a BETWEEN 1', 'AND', 11],
      ['a BETWEEN 1 OR 2', 'AND', 12],
      ["a IN 'x'", "'('", 5],
      ['a IN (1)', 'a string literal', 6],
      ["a IN ('x',)", 'a string literal', 10],
      ["a IN ('x' 'y')", "')'", 10],
      ['a LIKE b', 'a string literal pattern', 7],
      ["a LIKE 'x' ESCAPE 'ab'", 'a single escape character', 18],
      ["a LIKE 'x' ESCAPE ''", 'a single escape character', 18],
      ["a LIKE 'x!' ESCAPE '!'", 'a character after the escape character', 7],
      ['a IS 5', 'NULL', 5],
      ['a IS NOT', 'NULL', 8],
      ['5', 'a boolean expression', 0],
      ["'x'", 'a boolean expression', 0],
      ['a + 1', 'a boolean expression', 0],
      ['a = 1 AND 2', 'a boolean expression', 10],
      ['NOT 3', 'a boolean expression', 4],
      ["a + 'x' = 1", 'a numeric expression', 4],
      ['-TRUE = 1', 'a numeric expression', 1],
      ["'x' BETWEEN 1 AND 2", 'a numeric expression', 0],
      ['AND', 'a value', 0],
      ['a = 1 OR', 'a value', 8],
      ['()', 'a value', 1],
    ])('rejects %j: expected %s at position %d', (text, expected, position) => {
      const e = errorOf(text);
      expect(e.position).toBe(position);
      expect(e.description).toBe(`selector ${JSON.stringify(text)}: expected ${expected} at position ${position}`);
    });

    it('shortens a long selector in the message but keeps it whole on the error', () => {
      const text = `${'a = 1 AND '.repeat(20)}a >`;
      const e = errorOf(text);
      expect(e.selector).toBe(text);
      expect(e.description).toMatch(/^selector "a = 1 AND .{60,80}…": expected a value at position 203$/);
    });
  });

  describe('hostile selectors', () => {
    it.each([
      ['parentheses', `${'('.repeat(100_000)}a${')'.repeat(100_000)} = 1`.slice(0, MAX_SELECTOR_LENGTH)],
      ['NOT chains', `${'NOT '.repeat(10_000)}a`],
      ['unary signs', `${'-'.repeat(50_000)}1 = 1`],
      ['arithmetic chains', `${Array(5000).fill('1').join(' + ')} = 1`],
      ['nested comparisons', `${'('.repeat(5000)}${'a = 1) = TRUE'.repeat(1)}`],
    ])('rejects deep %s with a SelectorError, not a stack overflow', (_, text) => {
      const e = errorOf(text);
      expect(e.description).toContain(`expected at most ${MAX_SELECTOR_DEPTH} levels of nesting`);
    });

    it(`accepts nesting up to ${MAX_SELECTOR_DEPTH} levels`, () => {
      const depth = MAX_SELECTOR_DEPTH - 2;
      expect(truth(`${'('.repeat(depth)}a = 1${')'.repeat(depth)}`, withProps({ a: 1 }))).toBe(true);
      expect(truth(`${'NOT '.repeat(100)}a`, withProps({ a: true }))).toBe(true);
    });

    it(`rejects selectors longer than ${MAX_SELECTOR_LENGTH} characters`, () => {
      const e = errorOf(`a = '${'x'.repeat(MAX_SELECTOR_LENGTH)}'`);
      expect(e.description).toContain(`expected at most ${MAX_SELECTOR_LENGTH} characters`);
      expect(() => compileSelector(`a IN (${Array(5000).fill("'x'").join(',')})`)).not.toThrow();
    });
  });

  describe('properties', () => {
    type Truth = boolean | null;
    /** A boolean expression and its expected three-valued result, computed independently of the selector code. */
    interface Case {
      readonly text: string;
      readonly value: (props: Record<string, AmqpValue>) => Truth;
    }

    const names = ['a', 'b', 'c'] as const;
    const propertyValue = fc.oneof(fc.constant(undefined), fc.boolean(), fc.integer({ min: -3, max: 3 }), fc.constantFrom('x', 'y'));
    const properties = fc.record({ a: propertyValue, b: propertyValue, c: propertyValue }, { requiredKeys: [] });
    const asTruth = (v: AmqpValue): Truth => (typeof v === 'boolean' ? v : null);

    const { expr } = fc.letrec<{ expr: Case }>((tie) => ({
      expr: fc.oneof(
        { depthSize: 'small', withCrossShrink: true },
        fc.constantFrom(...names).map((n): Case => ({ text: n, value: (p) => asTruth(p[n]) })),
        fc.constantFrom(true, false).map((b): Case => ({ text: b ? 'TRUE' : 'FALSE', value: () => b })),
        fc.tuple(fc.constantFrom(...names), fc.integer({ min: -3, max: 3 })).map(
          ([n, k]): Case => ({
            text: `${n} > ${k}`,
            value: (p) => (typeof p[n] === 'number' ? (p[n] as number) > k : null),
          }),
        ),
        fc.constantFrom(...names).map((n): Case => ({ text: `${n} IS NULL`, value: (p) => p[n] === undefined })),
        tie('expr').map(
          (x): Case => ({
            text: `NOT (${x.text})`,
            value: (p) => {
              const v = x.value(p);
              return v === null ? null : !v;
            },
          }),
        ),
        fc.tuple(tie('expr'), tie('expr')).map(
          ([x, y]): Case => ({
            text: `(${x.text}) AND (${y.text})`,
            value: (p) => {
              const l = x.value(p);
              const r = y.value(p);
              return l === false || r === false ? false : l === null || r === null ? null : true;
            },
          }),
        ),
        fc.tuple(tie('expr'), tie('expr')).map(
          ([x, y]): Case => ({
            text: `(${x.text}) OR (${y.text})`,
            value: (p) => {
              const l = x.value(p);
              const r = y.value(p);
              return l === true || r === true ? true : l === null || r === null ? null : false;
            },
          }),
        ),
      ),
    }));

    const propsOf = (p: Record<string, AmqpValue>): Message => withProps(Object.fromEntries(Object.entries(p).filter(([, v]) => v !== undefined)));

    it('matches exactly when the three-valued result is TRUE', () => {
      fc.assert(
        fc.property(expr, properties, (x, p) => {
          expect(compileSelector(x.text).matches(propsOf(p))).toBe(x.value(p) === true);
        }),
      );
    });

    it('NOT (x) matches exactly when x is known to be false', () => {
      fc.assert(
        fc.property(expr, properties, (x, p) => {
          expect(compileSelector(`NOT (${x.text})`).matches(propsOf(p))).toBe(x.value(p) === false);
        }),
      );
    });

    it('x OR NOT x matches exactly when x is known', () => {
      fc.assert(
        fc.property(expr, properties, (x, p) => {
          expect(compileSelector(`(${x.text}) OR NOT (${x.text})`).matches(propsOf(p))).toBe(x.value(p) !== null);
        }),
      );
    });

    it('never throws anything but a SelectorError, whatever the text', () => {
      const alphabet = fc.constantFrom(
        ...'aN ()=<>+-*/\'",.0x1eLIKEORANDNOTISBETWEEN%_'.split(''),
        ' AND ',
        ' OR ',
        ' NOT ',
        ' IN ',
        ' LIKE ',
        ' BETWEEN ',
        ' IS ',
        ' NULL ',
        ' ESCAPE ',
      );
      fc.assert(
        fc.property(
          fc.array(alphabet, { maxLength: 40 }).map((parts) => parts.join('')),
          (text) => {
            try {
              compileSelector(text).matches(withProps({ a: 1, N: 'x' }));
            } catch (e) {
              expect(e).toBeInstanceOf(SelectorError);
            }
          },
        ),
      );
    });
  });
});
