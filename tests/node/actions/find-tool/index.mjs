// find() exactly as setup-python calls it: tool, version spec, os.arch().
import * as core from "@actions/core";
import * as tc from "@actions/tool-cache";

const tool = core.getInput("tool", { required: true });
const version = core.getInput("version", { required: true });
const found = tc.find(tool, version);
core.info(`versions: ${tc.findAllVersions(tool).join(" ")}`);
core.info(`found: ${found}`);
core.setOutput("path", found);
if (!found) {
  core.setFailed(`${tool} ${version} is not in the tool cache`);
}
