-- Argo CD health check for tripreports.dev/TalkRecommendation, from the operator's conditions
-- (docs/operator.md). Install it with deploy/argocd/argocd-cm.yaml, which inlines this file.
--
-- Argo CD runs it in gopher-lua (Lua 5.1) with only the base, table and package libraries:
-- there is no string or math library, so text is joined with `..` and tostring only.
--
-- A dangling spec.reportRef (Ready=False, reason ReportNotFound) is Degraded, not Progressing:
-- the operator resolves it by itself once the report exists, but if the report was misspelt
-- or never committed it never will, and Progressing would hide that in a green-ish state. A
-- recommendation synced in the same wave as its report may show Degraded for a moment.

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

if obj.status == nil or obj.status.observedGeneration == nil then
  hs.status = "Progressing"
  hs.message = "Waiting for the operator to reconcile this recommendation for the first time."
  return hs
end

local generation = obj.metadata.generation
if generation ~= nil and obj.status.observedGeneration < generation then
  hs.status = "Progressing"
  hs.message = "Waiting for the operator to reconcile generation " .. tostring(generation) ..
    " (its status describes generation " .. tostring(obj.status.observedGeneration) .. ")."
  return hs
end

local stalled = condition("Stalled")
if stalled ~= nil and stalled.status == "True" then
  hs.status = "Degraded"
  hs.message = message(stalled, "Stalled: " .. tostring(stalled.reason))
  return hs
end

local reconciling = condition("Reconciling")
if reconciling ~= nil and reconciling.status == "True" then
  hs.status = "Progressing"
  hs.message = message(reconciling, "The operator is working on this recommendation.")
  return hs
end

local ready = condition("Ready")
if ready == nil or ready.status == "Unknown" then
  hs.status = "Progressing"
  hs.message = message(ready, "Waiting for the operator to resolve spec.reportRef.")
  return hs
end
if ready.status == "False" then
  if ready.reason == "Progressing" then
    hs.status = "Progressing"
  else
    -- ReportNotFound (see above), InvalidSpec, or a reason added later.
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

-- Review does not gate health; it is reported so an unreviewed talk is visible.
hs.status = "Healthy"
hs.message = message(ready, "Listed in its report's summary.")
local reviewed = condition("Reviewed")
if reviewed ~= nil and reviewed.status == "True" then
  hs.message = hs.message .. " " .. message(reviewed, "Approved.")
elseif reviewed ~= nil and reviewed.reason == "ChangesRequested" then
  hs.message = hs.message .. " " .. message(reviewed, "Changes were requested.")
elseif reviewed ~= nil then
  hs.message = hs.message .. " Awaiting approval: " .. message(reviewed, "not approved yet.")
end
return hs
