// The text patterns redact masks, and the Luhn check that tells a card
// number from any other long number (as plugins/redact/src/patterns.rs).

const BUILTIN = {
  email: ["[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\\.[A-Za-z]{2,}", false],
  bearer: ["(?i)\\bbearer\\s+[A-Za-z0-9._~+/=-]+", false],
  card: ["\\b\\d(?:[ -]?\\d){12,}\\b", true],
};

// JavaScript has no leading `(?i)` (the Rust regexes' way to ignore case):
// it becomes the `i` flag.
function compile(source) {
  return source.startsWith("(?i)") ? new RegExp(source.slice(4), "gi") : new RegExp(source, "g");
}

export class Patterns {
  constructor(builtin, custom) {
    this.patterns = builtin.map((name) => {
      if (!(name in BUILTIN)) {
        throw new Error(`invalid configuration at \`patterns\`: unknown pattern \`${name}\` ` +
          "(known: email, bearer, card; use `custom` for your own regexes)");
      }
      return { regex: compile(BUILTIN[name][0]), luhn: BUILTIN[name][1] };
    });
    for (const source of custom) {
      try {
        this.patterns.push({ regex: compile(source), luhn: false });
      } catch (e) {
        throw new Error(`invalid configuration at \`custom\`: bad regex \`${source}\`: ${e.message}`);
      }
    }
  }

  // `text` with every match replaced, or undefined if nothing matched.
  mask(text, replacement) {
    let current;
    for (const { regex, luhn } of this.patterns) {
      let changed = false;
      const out = (current ?? text).replace(regex, (found) => {
        const masked = luhn ? maskCards(found, replacement) : replacement;
        if (masked === undefined) return found;
        changed = true;
        return masked;
      });
      if (changed) current = out;
    }
    return current;
  }
}

function maskCards(run, replacement) {
  const groups = [...run.matchAll(/[0-9]+/g)].map((m) => [m.index, m.index + m[0].length]);
  let out = "";
  let copied = 0;
  let i = 0;
  while (i < groups.length) {
    let digits = 0;
    let card;
    for (let j = i; j < groups.length; j++) {
      digits += groups[j][1] - groups[j][0];
      if (digits > 19) break;
      if (digits >= 13 && luhnValid(run.slice(groups[i][0], groups[j][1]))) card = j;
    }
    if (card === undefined) {
      i++;
      continue;
    }
    out += run.slice(copied, groups[i][0]) + replacement;
    copied = groups[card][1];
    i = card + 1;
  }
  return copied === 0 ? undefined : out + run.slice(copied);
}

function luhnValid(text) {
  const digits = [...text].filter((c) => c >= "0" && c <= "9").map(Number);
  if (digits.length < 13 || digits.length > 19) return false;
  let sum = 0;
  digits.reverse().forEach((d, i) => {
    sum += i % 2 === 1 ? (d * 2 > 9 ? d * 2 - 9 : d * 2) : d;
  });
  return sum % 10 === 0;
}
