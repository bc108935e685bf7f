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

const NHS_111 = { name: 'NHS 111', phone: '111', dial: '111' }
const EMERGENCY_SERVICES = { name: 'Emergency services', phone: '999', dial: '999' }

function numbersToCall (level, line) {
  if (level === EMERGENCY) return line ? [EMERGENCY_SERVICES, line] : [EMERGENCY_SERVICES]
  if (level === RED_FLAG) return [line || NHS_111]
  return []
}

// What to show at once for a level decided offline: the rules' advice, the numbers to call
// (999 and the person's own 24-hour line where kept), and the plain fact that the team has not
// been told yet.
export function offlineInstruction (rules, level) {
  const line = rules.urgent_line && rules.urgent_line.dial ? rules.urgent_line : null
  return {
    level,
    advice: rules.advice[level],
    call: numbersToCall(level, line),
    teamTold: false,
    notice: 'You are offline. Your team has not been told yet: we will send this when you are back online.'
  }
}
