import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  describeSchedule,
  normalizeTimezone,
  parseCron,
  parseWhen,
  toTemporalSpec,
  WHEN_FORMS,
  type ScheduleSpec,
} from '../../core/schedule.js';
import { ValidationError } from '../../core/errors.js';

const cron = (expr: string, timezone = 'UTC'): ScheduleSpec => ({ kind: 'cron', cron: expr, timezone });
const every = (everySeconds: number): ScheduleSpec => ({ kind: 'interval', everySeconds });

void test('parseWhen accepts every form rorodata documented', () => {
  assert.deepEqual(parseWhen('every day at 10:00 AM'), cron('0 10 * * *'));
  assert.deepEqual(parseWhen('every day at 20:00'), cron('0 20 * * *'));
  assert.deepEqual(parseWhen('every week on sunday at 10:00 AM'), cron('0 10 * * 0'));
  assert.deepEqual(parseWhen('every month on first day at 10:00 AM'), cron('0 10 1 * *'));
  assert.deepEqual(parseWhen('every month on day 2 at 10:00 AM'), cron('0 10 2 * *'));
  assert.deepEqual(parseWhen('every 2 hours'), every(7200));
});

void test('parseWhen accepts the neighbouring forms', () => {
  const cases: [string, ScheduleSpec][] = [
    ['every hour', every(3600)],
    ['every 1 hour', every(3600)],
    ['every 15 minutes', every(900)],
    ['every minute', every(60)],
    ['every 90 mins', every(5400)],
    ['every monday at 9:30', cron('30 9 * * 1')],
    ['every Mon at 9:30 pm', cron('30 21 * * 1')],
    ['every week on saturday at 23:59', cron('59 23 * * 6')],
    ['every weekday at 08:00', cron('0 8 * * 1-5')],
    ['every weekend at 7am', cron('0 7 * * 0,6')],
    ['every day at noon', cron('0 12 * * *')],
    ['every day at midnight', cron('0 0 * * *')],
    ['every day at 12:00 AM', cron('0 0 * * *')],
    ['every day at 12:30 PM', cron('30 12 * * *')],
    ['every day at 6 p.m.', cron('0 18 * * *')],
    ['every day', cron('0 0 * * *')],
    ['daily at 10', cron('0 10 * * *')],
    ['every month on the 15th at 06:00', cron('0 6 15 * *')],
    ['every month on the first day', cron('0 0 1 * *')],
    ['every month on 3rd day at 1:05 am', cron('5 1 3 * *')],
  ];
  for (const [text, spec] of cases) assert.deepEqual(parseWhen(text), spec, text);
});

void test('parseWhen ignores case and extra spaces', () => {
  assert.deepEqual(parseWhen('  Every   DAY at  10:00   am '), cron('0 10 * * *'));
  assert.deepEqual(parseWhen('EVERY 2 HOURS'), every(7200));
});

void test('parseWhen carries the timezone of clock-time forms and fixes its case', () => {
  assert.deepEqual(parseWhen('every day at 10:00 AM', 'Asia/Kolkata'), cron('0 10 * * *', 'Asia/Kolkata'));
  assert.deepEqual(parseWhen('every day at 10:00 AM', 'europe/paris'), cron('0 10 * * *', 'Europe/Paris'));
  assert.equal(normalizeTimezone('utc'), 'UTC');
  assert.throws(() => parseWhen('every day at 10:00', 'Mars/Olympus'), /Unknown timezone "Mars\/Olympus"/);
});

void test('parseWhen rejects bad forms and quotes every accepted form', () => {
  const bad = [
    'every fortnight',
    'every day at 25:00',
    'every day at 10:75',
    'every day at 13:00 PM',
    'every day at ten',
    'every 2 hours at 10:00',
    'every 0 minutes',
    'every month on day 32',
    'every month on last day',
    'at 10:00',
    '',
  ];
  for (const text of bad) {
    assert.throws(
      () => parseWhen(text),
      (err: unknown) => {
        assert.ok(err instanceof ValidationError, text);
        for (const form of WHEN_FORMS) assert.ok(err.message.includes(`"${form}"`), `${text}: ${form}`);
        return true;
      },
    );
  }
  assert.throws(() => parseWhen('every day at 25:00'), /hour 25 is out of range 0-23/);
  assert.throws(() => parseWhen('every 2 hours at 10:00'), /cannot also have a time/);
});

void test('parseCron normalises names, macros and spacing', () => {
  assert.equal(parseCron('0 10 * * *'), '0 10 * * *');
  assert.equal(parseCron('  30   2 * *   mon-fri '), '30 2 * * 1-5');
  assert.equal(parseCron('*/15 9-17 * jan,JUL sun'), '*/15 9-17 * 1,7 0');
  assert.equal(parseCron('0 0-23/2 1,15 * *'), '0 0-23/2 1,15 * *');
  assert.equal(parseCron('@daily'), '0 0 * * *');
  assert.equal(parseCron('@weekly'), '0 0 * * 0');
});

void test('parseCron names the bad field', () => {
  const cases: [string, RegExp][] = [
    ['0 10 * *', /has 4 fields, but a cron expression has exactly 5/],
    ['0 0 10 * * *', /has 6 fields/],
    ['60 * * * *', /minute field has 60, outside 0-59/],
    ['0 24 * * *', /hour field has 24, outside 0-23/],
    ['0 0 0 * *', /day-of-month field has 0, outside 1-31/],
    ['0 0 * 13 *', /month field has 13, outside 1-12/],
    ['0 0 * * 7', /day-of-week field has 7, outside 0-6 \(Sunday is 0\)/],
    ['0 0 * * funday', /day-of-week field has "funday", which is not a number/],
    ['0 17-9 * * *', /hour field has the range 17-9, which runs backwards/],
    ['*/0 * * * *', /minute field has step 0/],
    ['5/10 * * * *', /a step needs \* or a range/],
    ['0 0 1 * 1', /restricts both day-of-month and day-of-week/],
    ['0 0 L * *', /day-of-month field has "L"/],
    ['0 0 ? * *', /day-of-month field has "\?"/],
  ];
  for (const [expr, re] of cases) {
    assert.throws(() => parseCron(expr), re, expr);
    assert.throws(() => parseCron(expr), ValidationError, expr);
  }
});

void test('describeSchedule reads back as English', () => {
  assert.equal(describeSchedule(parseWhen('every day at 10:00 AM')), 'every day at 10:00 (UTC)');
  assert.equal(
    describeSchedule(parseWhen('every weekday at 8:05', 'Europe/Paris')),
    'every weekday at 08:05 (Europe/Paris)',
  );
  assert.equal(
    describeSchedule(parseWhen('every week on sunday at 10:00 AM')),
    'every sunday at 10:00 (UTC)',
  );
  assert.equal(
    describeSchedule(parseWhen('every month on day 2 at 10:00 AM')),
    'every month on day 2 at 10:00 (UTC)',
  );
  assert.equal(describeSchedule(parseWhen('every 2 hours')), 'every 2 hours');
  assert.equal(describeSchedule(parseWhen('every hour')), 'every hour');
  assert.equal(describeSchedule(parseWhen('every 15 minutes')), 'every 15 minutes');
  assert.equal(describeSchedule(cron('*/5 * * * *')), 'cron "*/5 * * * *" (UTC)');
});

void test('toTemporalSpec gives cron with timezone, or an interval', () => {
  assert.deepEqual(toTemporalSpec(parseWhen('every day at 20:00', 'Asia/Kolkata')), {
    cronExpressions: ['0 20 * * *'],
    timezone: 'Asia/Kolkata',
  });
  assert.deepEqual(toTemporalSpec(parseWhen('every 2 hours')), { intervals: [{ every: '2h' }] });
  assert.deepEqual(toTemporalSpec(parseWhen('every 15 minutes')), { intervals: [{ every: '15m' }] });
  assert.deepEqual(toTemporalSpec(every(90)), { intervals: [{ every: '90s' }] });
});
