import { z } from 'zod'

/**
 * Dates popscreen accepts: years 1900 to 2100. Older or later dates are typing errors or probes, and some
 * cannot be stored at all (PostgreSQL has no year 0: `0000-06-15` failed a whole batch of screenings).
 */
export const MIN_YEAR = 1900
export const MAX_YEAR = 2100

/** Whether an ISO date or date-time (as written, before any time zone shift) lies in 1900–2100. */
export function yearInRange(iso: string): boolean {
  const year = Number(iso.slice(0, 4))
  return /^\d{4}-/.test(iso) && year >= MIN_YEAR && year <= MAX_YEAR
}

const outOfRange = {
  message: `the year must be between ${MIN_YEAR} and ${MAX_YEAR}`,
  params: { code: 'DATE_OUT_OF_RANGE' },
} as const

/** An ISO date (`YYYY-MM-DD`) in 1900–2100. */
export const isoDateInRange = () => z.iso.date().refine(yearInRange, outOfRange)

/** An ISO date-time with offset in 1900–2100. */
export const isoDateTimeInRange = () => z.iso.datetime({ offset: true }).refine(yearInRange, outOfRange)
