// Setup file of every workerd project: loads the Worker's module graph before a test file's tests
// run, as a test file's own imports are, so the first test's timeout measures its own work and not
// the transform and load of the whole Worker (seconds on a busy machine).
import "../../src/index";
