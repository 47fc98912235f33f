/**
 * The Lua half of the gateway: nginx keeps the route table in a shared dict and picks each request's
 * instance in `balancer_by_lua`, so a route change is one write to the dict (through the admin socket)
 * and never a reload, which would close idle client keep-alive connections.
 *
 * The table travels as lines, parsed with string functions (no JSON module needed):
 *   roro-routes v1
 *   generation <generation>
 *   <label> <ip:port> <ip:port> ...     (a label alone: the service has no running instance)
 */

export const TABLE_HEADER = 'roro-routes v1';
export const SHARED_DICT = 'roro_routes';
/** Service hosts' own certificates (host-certs.ts), by host name. */
export const CERTS_DICT = 'roro_certs';
/**
 * The host certificate bundle's first line; then, per host, a line `host <name>` followed by its
 * certificate and its private key in PEM.
 */
export const CERTS_HEADER = 'roro-certs v1';

/** Where the gateway keeps the host certificates a starting nginx loads (private keys: 0600 in runDir). */
export function certsFile(runDir: string): string {
  return `${runDir}/host-certs.pem`;
}

/** Where the gateway keeps the route table a starting nginx loads. */
export function routeTableFile(runDir: string): string {
  return `${runDir}/routes.table`;
}

/** The unix socket of the admin server that takes route table updates; only runDir's owner can reach it. */
export function adminSocket(runDir: string): string {
  return `${runDir}/admin.sock`;
}

/** Lua for `init_by_lua_block`: defines the global `roro` used by the other Lua hooks. Paths are pre-validated. */
export function luaInit(runDir: string, configGeneration: string): string[] {
  return `
local dict = ngx.shared.${SHARED_DICT}
local certs = ngx.shared.${CERTS_DICT}
local balancer = require "ngx.balancer"
local ssl = require "ngx.ssl"
local TABLE_FILE = "${routeTableFile(runDir)}"
local CERTS_FILE = "${certsFile(runDir)}"
local CONFIG = "${configGeneration}"
roro = {}

-- Malformed lines and addresses are skipped: the TypeScript side validated them already.
local function peer(addr)
  local a, b, c, d, port = addr:match("^(%d+)%.(%d+)%.(%d+)%.(%d+):(%d+)$")
  if not a then return nil end
  for _, o in ipairs({ a, b, c, d }) do
    if tonumber(o) > 255 then return nil end
  end
  port = tonumber(port)
  if port < 1 or port > 65535 then return nil end
  return { a .. "." .. b .. "." .. c .. "." .. d, port }
end

local function parse(text)
  local lines = {}
  for line in text:gmatch("[^\\n]+") do lines[#lines + 1] = line end
  if lines[1] ~= "${TABLE_HEADER}" then return nil, "the first line is not ${TABLE_HEADER}" end
  local gen = (lines[2] or ""):match("^generation ([%w%-]+)$")
  if not gen or #gen > 64 then return nil, "the second line is not generation <id>" end
  local routes = {}
  for i = 3, #lines do
    local label, rest = lines[i]:match("^([a-z][a-z0-9%-]*)( ?.*)$")
    if label and #label <= 81 and (rest == "" or rest:sub(1, 1) == " ") then
      local peers = {}
      for addr in rest:gmatch("%S+") do peers[#peers + 1] = peer(addr) end
      routes[label] = peers
    end
  end
  return { generation = gen, routes = routes }
end

-- Replaces the whole table at once: workers compare the small generation key on each request
-- and re-read the table, stored first, when it moved.
function roro.store(text)
  local parsed, err = parse(text)
  if not parsed then return nil, err end
  local ok, serr = dict:set("table", text)
  if not ok then return nil, "shared dict: " .. tostring(serr) end
  dict:set("generation", parsed.generation)
  return parsed.generation
end

local cache = { generation = false, routes = {} }
local function routes()
  local gen = dict:get("generation")
  if gen ~= cache.generation then
    local text = dict:get("table")
    cache = (text and parse(text)) or { generation = gen, routes = {} }
  end
  return cache.routes
end

function roro.route(label)
  local peers = label and routes()[label]
  if not peers then return ngx.exec("@roro_unknown") end
  if #peers == 0 then
    ngx.var.roro_project = label:match("^(.-)%-%-") or label
    ngx.var.roro_service = label:match("%-%-(.+)$") or "default"
    return ngx.exec("@roro_idle")
  end
  ngx.ctx.roro_label = label
  ngx.ctx.roro_peers = peers
end

-- /<label>/rest goes to the label's service as /rest; /<label> alone is sent to /<label>/.
function roro.route_prefix()
  local label, rest = ngx.var.uri:match("^/([a-z][a-z0-9%-]*)(.*)$")
  if not label or (rest ~= "" and rest:sub(1, 1) ~= "/") or not routes()[label] then
    return ngx.exec("@roro_unknown")
  end
  if rest == "" then
    local args = ngx.var.args
    return ngx.redirect("/" .. label .. "/" .. (args and ("?" .. args) or ""), 308)
  end
  ngx.var.roro_prefix = "/" .. label
  ngx.req.set_uri(rest)
  return roro.route(label)
end

-- header_filter_by_lua of projects' responses: drops every Set-Cookie that names a cookie of the
-- platform's (roro_session, roro_csrf and any other roro_ one) or has no name, which browsers send
-- as its bare value ("=roro_session=x" arrives as "roro_session=x").
local function platform_cookie(line)
  local pair = line:match("^([^;]*)") or ""
  local name = pair:match("^([^=]*)=") or ""
  name = name:match("^%s*(.-)%s*$"):lower()
  return name == "" or name:find("roro_", 1, true) ~= nil
end
function roro.drop_platform_cookies()
  local set = ngx.header["Set-Cookie"]
  if not set then return end
  if type(set) == "string" then set = { set } end
  local kept = {}
  for _, line in ipairs(set) do
    if platform_cookie(line) then
      ngx.log(ngx.WARN, "roro: dropped a Set-Cookie of ", ngx.var.host, ngx.var.uri, " that names a platform cookie")
    else
      kept[#kept + 1] = line
    end
  end
  if #kept ~= #set then ngx.header["Set-Cookie"] = (#kept > 0) and kept or nil end
end

-- Round robin per worker; a retry after a connect error or timeout takes the next instance.
local turn = {}
function roro.balance()
  local ctx = ngx.ctx
  local peers = ctx.roro_peers
  if not peers then return ngx.exit(500) end
  local n = #peers
  local i = ctx.roro_index
  if i == nil then
    i = (turn[ctx.roro_label] or 0) % n + 1
    turn[ctx.roro_label] = i
    if n > 1 then balancer.set_more_tries(n - 1) end
  else
    i = i % n + 1
  end
  ctx.roro_index = i
  local ok, err = balancer.set_current_peer(peers[i][1], peers[i][2])
  if not ok then
    ngx.log(ngx.ERR, "roro: cannot use instance ", peers[i][1], ":", peers[i][2], ": ", err)
    return ngx.exit(500)
  end
end

-- PUT bodies of the admin socket: the route table, or the host certificate bundle.
local function admin(store, what, field)
  if ngx.req.get_method() ~= "PUT" then return ngx.exit(405) end
  ngx.req.read_body()
  local value, err = store(ngx.req.get_body_data() or "")
  if not value then
    ngx.status = 400
    return ngx.say('{"error": "', what, ' refused: ', err, '"}')
  end
  ngx.say('{"', field, '": "', value, '"}')
end
function roro.admin() return admin(roro.store, "route table", "generation") end
function roro.admin_certs() return admin(roro.store_certs, "certificates", "hosts") end

local function parse_certs(text)
  local header, rest = text:match("^([^\\n]*)\\n?(.*)$")
  if header ~= "${CERTS_HEADER}" then return nil, "the first line is not ${CERTS_HEADER}" end
  local entries, name, lines = {}, nil, nil
  local function close()
    if name then entries[name] = table.concat(lines, "\\n") .. "\\n" end
  end
  for line in rest:gmatch("[^\\n]+") do
    local host = line:match("^host ([a-z0-9%.%-]+)$")
    if host and #host <= 253 then
      close()
      name, lines = host, {}
    elseif name then
      lines[#lines + 1] = line
    else
      return nil, "a certificate comes before its host line"
    end
  end
  close()
  return entries
end

-- Replaces every host's certificate: new ones are stored before stale ones go, so no host is
-- without one in between.
function roro.store_certs(text)
  local entries, err = parse_certs(text)
  if not entries then return nil, err end
  local n = 0
  for host, pem in pairs(entries) do
    local ok, serr = certs:set(host, pem)
    if not ok then return nil, "shared dict: " .. tostring(serr) end
    n = n + 1
  end
  for _, host in ipairs(certs:get_keys(0)) do
    if not entries[host] then certs:delete(host) end
  end
  return n
end

-- ssl_certificate_by_lua: a service host's own certificate when it has one, else the gateway's.
local parsed = {}
function roro.certificate()
  local name = ssl.server_name()
  local pem = name and certs:get(name)
  if not pem then return end
  local c = parsed[name]
  if not c or c.pem ~= pem then
    local at = pem:find("-----BEGIN [%u ]*PRIVATE KEY-----")
    local cert, err = ssl.parse_pem_cert(pem:sub(1, (at or 1) - 1))
    local key, kerr = ssl.parse_pem_priv_key(pem:sub(at or 1))
    if not at or not cert or not key then
      ngx.log(ngx.ERR, "roro: the certificate of ", name, " is unusable: ", tostring(err or kerr))
      return
    end
    c = { pem = pem, cert = cert, key = key }
    parsed[name] = c
  end
  local ok, err = ssl.clear_certs()
  if ok then ok, err = ssl.set_cert(c.cert) end
  if ok then ok, err = ssl.set_priv_key(c.key) end
  if not ok then
    ngx.log(ngx.ERR, "roro: cannot serve the certificate of ", name, ": ", err)
    return ngx.exit(ngx.ERROR)
  end
end

function roro.generation()
  ngx.say('{"generation": "', dict:get("generation") or "none", '", "config": "', CONFIG, '"}')
end

-- A (re)started nginx serves the table and certificates applyRoutes last wrote; without them the
-- dicts keep what they have.
local function load(file, store)
  local f = io.open(file, "r")
  if not f then return end
  local text = f:read("*a")
  f:close()
  local ok, err = store(text)
  if not ok then ngx.log(ngx.ERR, "roro: ignoring ", file, ": ", err) end
end
load(TABLE_FILE, roro.store)
load(CERTS_FILE, roro.store_certs)
`
    .trim()
    .split('\n');
}
