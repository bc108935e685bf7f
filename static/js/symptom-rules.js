// The symptom rules kept on the phone (GET /my-care/symptom-rules, built by
// app/symptoms/rules.py offline_rules), so that a symptom logged with no connection shows its
// instruction at once: above all an emergency, with the number to call. This mirrors the
// server's engine (app/symptoms/rules.py assess) for everything it can know without the
// person's history; tests/symptoms/test_rules_offline.py runs both on a table of cases. The
// server assesses the entry again when it arrives, and only then is the team told: nothing here
// may say the team knows.

const RED_FLAG = 'red_flag'
const WATCH = 'watch'
const EMERGENCY = 'emergency'

// The level of a symptom logged offline: 'emergency', 'red_flag' or 'watch', or null for a
// symptom id these rules do not know (the form offers only known ones). symptomId null or ''
// is "something else" in the person's own words. daysSinceStart is how many days ago it
// started; where it is not known, a red flag with a duration counts as reached (telling the
// person to contact the team is the safe side).
export function levelOffline (rules, symptomId, severity, daysSinceStart) {
  const severe = severity === 'severe'
  const lasted = Number.isInteger(daysSinceStart) ? daysSinceStart : null
  if (symptomId === null || symptomId === undefined || symptomId === '') {
    if (severe && rules.something_else.severe_raises) return RED_FLAG
    if (lasted !== null && lasted >= rules.watch_rules.persists_days) return RED_FLAG
    return WATCH
  }
  const symptom = rules.symptoms.find((s) => s.id === symptomId)
  if (!symptom) return null
  if (symptom.level === EMERGENCY) return EMERGENCY
  let watch = rules.watch_rules
  if (symptom.level === RED_FLAG) {
    if (symptom.after_days === undefined || lasted === null || lasted >= symptom.after_days) return RED_FLAG
  } else if (symptom.watch_rules) {
    watch = symptom.watch_rules
  }
  if (severe && watch.severe_raises) return RED_FLAG
  if (lasted !== null && lasted >= watch.persists_days) return RED_FLAG
  return WATCH
}

// Each number to call with its link: the fixed national numbers written as they are dialled
// (HAZ-011's one exception), the person's own line as the server made it (tel_link, kept in the
// rules as urgent_line.link, or its number as plain text where it has none): no link that dials
// is made from a number here.
const NHS_111 = { name: 'NHS 111', link: '<a href="tel:111">111</a>' }
const EMERGENCY_SERVICES = { name: 'Emergency services', link: '<a href="tel:999">999</a>' }

function numbersToCall (level, line) {
  if (level === EMERGENCY) return line ? [EMERGENCY_SERVICES, line] : [EMERGENCY_SERVICES]
  if (level === RED_FLAG) return [line || NHS_111]
  return []
}

// What to show at once for a level decided offline: the rules' advice, the numbers to call
// (999 and the person's own 24-hour line where kept), and the plain fact that the team has not
// been told yet.
// A line kept with no link (rules kept before lines came with their link, {name, phone, dial},
// or a number that cannot be dialled) is still the person's own line to call: its number is
// shown as plain text (link null), never replaced by 111 (HAZ-002); no link is made here.
export function offlineInstruction (rules, level) {
  const kept = rules.urgent_line
  const line = kept && kept.name && kept.phone ? { name: kept.name, phone: kept.phone, link: kept.link || null } : null
  return {
    level,
    advice: rules.advice[level],
    call: numbersToCall(level, line),
    teamTold: false,
    notice: 'You are offline. Your team has not been told yet: we will send this when you are back online.'
  }
}
