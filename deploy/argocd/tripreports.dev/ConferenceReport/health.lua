-- Argo CD health check for tripreports.dev/ConferenceReport, from the operator's conditions
-- (docs/operator.md). Install it with deploy/argocd/argocd-cm.yaml, which inlines this file.
--
-- Argo CD runs it in gopher-lua (Lua 5.1) with only the base, table and package libraries:
-- there is no string or math library, so text is joined with `..` and tostring only.

local hs = {}

local function condition(wanted)
  for _, c in ipairs(obj.status.conditions or {}) do
    if c.type == wanted then
      return c
    end
  end
  return nil
end

local function message(c, fallback)
  if c ~= nil and c.message ~= nil and c.message ~= "" then
    return c.message
  end
  return fallback
end

-- Checked first: a suspended report keeps whatever status it had when it was suspended.
if obj.spec ~= nil and obj.spec.suspend == true then
  hs.status = "Suspended"
  hs.message = "spec.suspend is true: the operator leaves this report and its summary untouched until it is set back to false."
  return hs
end

if obj.status == nil or obj.status.observedGeneration == nil then
  hs.status = "Progressing"
  hs.message = "Waiting for the operator to reconcile this report for the first time."
  return hs
end

local generation = obj.metadata.generation
if generation ~= nil and obj.status.observedGeneration < generation then
  hs.status = "Progressing"
  hs.message = "Waiting for the operator to reconcile generation " .. tostring(generation) ..
    " (its status describes generation " .. tostring(obj.status.observedGeneration) .. ")."
  return hs
end

-- A spec that needs a person, or a summary the API server refuses for good.
local stalled = condition("Stalled")
if stalled ~= nil and stalled.status == "True" then
  hs.status = "Degraded"
  hs.message = message(stalled, "Stalled: " .. tostring(stalled.reason))
  return hs
end

local reconciling = condition("Reconciling")
if reconciling ~= nil and reconciling.status == "True" then
  hs.status = "Progressing"
  hs.message = message(reconciling, "The operator is publishing the summary.")
  return hs
end

local ready = condition("Ready")
if ready == nil or ready.status == "Unknown" then
  hs.status = "Progressing"
  hs.message = message(ready, "Waiting for the operator to publish the summary.")
  return hs
end
if ready.status == "False" then
  if ready.reason == "Progressing" then
    hs.status = "Progressing"
  else
    -- InvalidSpec, SummaryFailed, or a reason added later: shown, never hidden as progress.
    hs.status = "Degraded"
  end
  hs.message = message(ready, "Not ready: " .. tostring(ready.reason))
  return hs
end
if ready.observedGeneration ~= nil and generation ~= nil and ready.observedGeneration < generation then
  hs.status = "Progressing"
  hs.message = "Ready describes generation " .. tostring(ready.observedGeneration) ..
    "; waiting for generation " .. tostring(generation) .. "."
  return hs
end

-- Ready: say what a reader of the Application would want to know next. Review does not gate
-- Ready (or health); it is reported here so an unapproved report is visible.
hs.status = "Healthy"
hs.message = message(ready, "The summary is published.")
local counts = obj.status.recommendations
if counts ~= nil and counts.total ~= nil then
  hs.message = hs.message .. " " .. tostring(counts.total) .. " recommendations (" ..
    tostring(counts.approved or 0) .. " approved, " .. tostring(counts.pending or 0) .. " pending)."
end
local reviewed = condition("Reviewed")
if reviewed ~= nil and reviewed.status == "True" then
  hs.message = hs.message .. " " .. message(reviewed, "Approved.")
elseif reviewed ~= nil then
  hs.message = hs.message .. " Awaiting approval: " .. message(reviewed, "not approved yet.")
end
local summarized = condition("Summarized")
if summarized ~= nil and summarized.reason == "Truncated" then
  hs.message = hs.message .. " Truncated: " .. message(summarized, "the summary is incomplete.")
end
return hs
