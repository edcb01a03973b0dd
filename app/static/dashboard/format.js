// Numbers and times as the dashboard shows them.

/** Power magnitude: "850 W" below 1 kW, else "1.23 kW" (the sign is drawn as a direction). */
export function watts(w) {
  const a = Math.abs(w);
  return a >= 1000 ? `${(a / 1000).toFixed(2)} kW` : `${Math.round(a)} W`;
}

/** Energy: "420 Wh" below 1 kWh, else "3.25 kWh" (signed). */
export function wattHours(wh) {
  return Math.abs(wh) >= 1000 ? `${(wh / 1000).toFixed(2)} kWh` : `${Math.round(wh)} Wh`;
}

export function percent(fraction) {
  return `${Math.round(fraction * 100)} %`;
}

export function money(amount, currency) {
  try {
    return new Intl.NumberFormat(undefined, { style: "currency", currency }).format(amount);
  } catch {
    return `${amount.toFixed(2)} ${currency}`;
  }
}

/** Offset of `timeZone` from UTC at the instant `ms`, in milliseconds. */
function offsetMs(timeZone, ms) {
  const parts = {};
  const format = new Intl.DateTimeFormat("en-US", {
    timeZone,
    hourCycle: "h23",
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
    hour: "2-digit",
    minute: "2-digit",
    second: "2-digit",
  });
  for (const { type, value } of format.formatToParts(new Date(ms))) parts[type] = Number(value);
  const asUtc = Date.UTC(parts.year, parts.month - 1, parts.day, parts.hour, parts.minute, parts.second);
  return asUtc - Math.floor(ms / 1000) * 1000;
}

/** The local calendar date {year, month, day} in `timeZone` at the instant `ms`. */
export function localDate(timeZone, ms) {
  const local = new Date(ms + offsetMs(timeZone, ms));
  return { year: local.getUTCFullYear(), month: local.getUTCMonth() + 1, day: local.getUTCDate() };
}

/** The instant (ms) of local midnight starting {year, month, day} in `timeZone`. */
export function localMidnight(timeZone, { year, month, day }) {
  const wall = Date.UTC(year, month - 1, day);
  let guess = wall - offsetMs(timeZone, wall);
  guess = wall - offsetMs(timeZone, guess); // again, in case an offset change lies between
  return guess;
}

/** [start, end) of the local day containing `ms` in `timeZone` (23 or 25 h on DST days). */
export function localDay(timeZone, ms) {
  const today = localDate(timeZone, ms);
  const next = new Date(Date.UTC(today.year, today.month - 1, today.day + 1));
  const tomorrow = { year: next.getUTCFullYear(), month: next.getUTCMonth() + 1, day: next.getUTCDate() };
  return [localMidnight(timeZone, today), localMidnight(timeZone, tomorrow)];
}

/** "YYYY-MM-DD" of a {year, month, day}. */
export function isoDate({ year, month, day }) {
  const pad = (n) => String(n).padStart(2, "0");
  return `${year}-${pad(month)}-${pad(day)}`;
}

export function parseIsoDate(text) {
  const [year, month, day] = text.split("-").map(Number);
  return { year, month, day };
}

/** An instant shown in `timeZone`: "14:05:03" or, with `withDate`, "2026-01-15 14:05". */
export function clock(iso, timeZone, withDate = false) {
  const options = withDate
    ? { timeZone, year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", hourCycle: "h23" }
    : { timeZone, hour: "2-digit", minute: "2-digit", second: "2-digit", hourCycle: "h23" };
  return new Intl.DateTimeFormat("sv-SE", options).format(new Date(iso));
}
