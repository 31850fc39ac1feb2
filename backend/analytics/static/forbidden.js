// The page of a staff member whose role does not allow the figures: its words follow the
// staff pages' language like the others (the Content-Security-Policy allows no inline script).
import { startI18n } from "/console/static/i18n.js";

startI18n();
