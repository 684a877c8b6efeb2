/// The independent reference the Analyze tests compare against: Python reading the same layer tars with `tarfile`,
/// written straight from dive's published algorithm (a tree per layer, a stacked copy of the layers below built afresh
/// for every whiteout, leaves visited children first) and from the OCI layer rules as a dictionary of paths. It
/// shares no code or data structure with the Swift implementation. Arguments: the layer tars of one image, then
/// optionally `--against` and the layer tars of a second image (the first one is then the old image of a diff).
enum AnalyzeReferenceScript {
    static let source = #"""
import hashlib, json, sys, tarfile

def clean(name):
    parts = []
    for part in name.split('/'):
        if part in ('', '.'):
            continue
        if part == '..':
            if parts:
                parts.pop()
            continue
        parts.append(part)
    return '/'.join(parts) if parts else None

def kind_of(m):
    if m.isdir(): return 'directory'
    if m.issym(): return 'symlink'
    if m.islnk(): return 'hardlink'
    if m.ischr(): return 'characterDevice'
    if m.isblk(): return 'blockDevice'
    if m.isfifo(): return 'fifo'
    if m.type in (tarfile.REGTYPE, tarfile.AREGTYPE): return 'file'
    return 'other'

def read_layer(path):
    entries = []
    with tarfile.open(path, 'r:*') as tf:
        for m in tf:
            data = tf.extractfile(m).read() if m.isfile() else None
            entries.append((m, data))
    return entries

# ---- dive's model -------------------------------------------------------------------------------------------
class Node:
    def __init__(self, name, parent):
        self.name, self.parent, self.children, self.info = name, parent, {}, None
    def path(self):
        names, n = [], self
        while n.parent is not None:
            name = n.name
            if n is self and name.startswith('.wh.'):
                name = name[4:]
            names.insert(0, name)
            n = n.parent
        return '/' + '/'.join(names)

def size_of(n): return n.info['size'] if n.info else 0
def is_dir(n): return n.info['isdir'] if n.info else False

class Tree:
    def __init__(self):
        self.root = Node('', None)
    def add_path(self, path, info):
        names = [x for x in path.strip('/').split('/') if x]
        node = self.root
        for i, name in enumerate(names):
            if name in node.children:
                node = node.children[name]
            else:
                if name.startswith('.wh..wh..'):
                    return
                child = Node(name, node)
                node.children[name] = child
                node = child
            if i == len(names) - 1:
                node.info = info
    def get(self, path):
        node = self.root
        for name in [x for x in path.strip('/').split('/') if x]:
            if name not in node.children:
                return None
            node = node.children[name]
        return node
    def remove(self, path):
        n = self.get(path)
        if n is not None and n.parent is not None:
            del n.parent.children[n.name]
    def copy(self):
        t = Tree()
        def rec(src, dst):
            dst.info = src.info
            for k, c in src.children.items():
                d = Node(k, dst)
                dst.children[k] = d
                rec(c, d)
        rec(self.root, t.root)
        return t
    def visit(self, fn):
        def rec(n):
            for k in sorted(n.children, key=lambda s: s.encode()):
                rec(n.children[k])
            if n is not self.root:
                fn(n)
        rec(self.root)
    def stack(self, upper):
        def graft(n):
            if n.name.startswith('.wh.'):
                self.remove(n.path())
            else:
                self.add_path(n.path(), n.info)
        upper.visit(graft)

def stack_range(trees, start, stop):
    t = trees[0].copy()
    for i in range(start, stop + 1):
        t.stack(trees[i])
    return t

def dive(layers):
    trees, sizes = [], []
    for entries in layers:
        t = Tree()
        total = 0
        for m, _ in entries:
            total += m.size
            p = clean(m.name)
            if p is None:
                continue
            t.add_path(p, {'size': m.size, 'isdir': m.isdir()})
        trees.append(t)
        sizes.append(total)
    data = {}
    for idx, tree in enumerate(trees):
        leaves = []
        tree.visit(lambda n: leaves.append(n) if not n.children else None)
        for n in leaves:
            p = n.path()
            if n.name.startswith('.wh.'):
                prev = stack_range(trees, 0, idx - 1).get(p)
                if prev is None:
                    continue
                s = 0
                if is_dir(prev):
                    stack = [prev]
                    while stack:
                        m = stack.pop()
                        s += size_of(m)
                        stack.extend(m.children.values())
            else:
                s = size_of(n)
            d = data.setdefault(p, [0, 0, None])
            d[0] += 1
            d[1] += s
            d[2] = s if d[2] is None or s < d[2] else d[2]
    smallest = sum(d[2] for d in data.values())
    total = sum(d[1] for d in data.values())
    wasted = sum(d[1] for d in data.values() if d[0] > 1)
    inefficient = sorted(([p, d[0], d[1]] for p, d in data.items() if d[0] > 1), key=lambda x: (-x[2], x[0].encode()))
    user = sum(sizes[1:])
    return {
        'efficiency': 1.0 if total == 0 else smallest / total,
        'wastedBytes': wasted, 'sizeBytes': sum(sizes), 'userSizeBytes': user,
        'userWastedPercent': (wasted / user) if user else None,
        'inefficient': [{'path': p, 'count': c, 'bytes': b} for p, c, b in inefficient],
        'layerSizes': sizes,
    }

# ---- the OCI layer rules --------------------------------------------------------------------------------------
def parent_of(p): return p.rsplit('/', 1)[0] if '/' in p else ''
def under(q, p): return p == '' or q == p or q.startswith(p + '/')

def merge(layers):
    tree = {}
    changes = []
    for entries in layers:
        content, whiteouts, opaques = {}, [], []
        for m, data in entries:
            p = clean(m.name)
            if p is None:
                continue
            base = p.rsplit('/', 1)[-1]
            if base == '.wh..wh..opq':
                opaques.append(parent_of(p))
            elif base.startswith('.wh..wh.') or base == '.wh.':
                pass
            elif base.startswith('.wh.'):
                par = parent_of(p)
                whiteouts.append((par + '/' if par else '') + base[4:])
            else:
                content[p] = {'kind': kind_of(m), 'size': m.size, 'mode': m.mode, 'uid': m.uid, 'gid': m.gid,
                              'link': m.linkname if (m.issym() or m.islnk()) else None,
                              'digest': ('sha256:' + hashlib.sha256(data).hexdigest()) if data is not None else None,
                              'mtime': int(m.mtime)}
        own = set()
        for p in content:
            q = p
            while q:
                own.add(q)
                q = parent_of(q)
        lower = tree
        added, modified = [], []
        for p, e in content.items():
            item = {'path': '/' + p, 'kind': e['kind'], 'size': e['size']}
            if p not in lower:
                added.append(item)
                continue
            lo = lower[p]
            if e['kind'] == 'directory' and (lo is None or lo['kind'] == 'directory'):
                if lo is not None and (lo['mode'], lo['uid'], lo['gid']) != (e['mode'], e['uid'], e['gid']):
                    modified.append(item)
            else:
                modified.append(item)
        deleted = set()
        for d in opaques:
            if d == '' or d in lower:
                deleted |= {q for q in lower if q != d and under(q, d)}
        for t in whiteouts:
            if t in lower:
                deleted |= {q for q in lower if under(q, t)}
        for p, e in content.items():
            if e['kind'] != 'directory' and p in lower:
                deleted |= {q for q in lower if q != p and under(q, p)}
        gone = {q for q in deleted if q not in own}
        removed = []
        for q in gone:
            if parent_of(q) in gone:
                continue
            members = [r for r in lower if under(r, q)]
            removed.append({'path': '/' + q, 'kind': lower[q]['kind'] if lower[q] else 'directory',
                            'size': sum(lower[r]['size'] for r in members if lower[r] and lower[r]['kind'] == 'file'),
                            'count': len(members)})
        tree = {q: v for q, v in lower.items() if q not in deleted}
        for p, e in content.items():
            q = parent_of(p)
            while q and q not in tree:
                tree[q] = None
                q = parent_of(q)
            tree[p] = e
        changes.append({'added': added, 'modified': modified, 'removed': removed})
    return tree, changes

def duplicates(tree):
    groups = {}
    for p, e in tree.items():
        if e and e['kind'] == 'file' and e['size'] > 0:
            groups.setdefault((e['size'], e['digest']), []).append('/' + p)
    out = []
    for (size, _), paths in groups.items():
        if len(paths) > 1:
            paths.sort(key=lambda s: s.encode())
            out.append({'size': size, 'paths': paths, 'wasted': size * (len(paths) - 1)})
    out.sort(key=lambda g: (-g['wasted'], g['paths'][0].encode()))
    return out

def state(e):
    if e is None:
        return {'kind': 'directory', 'size': 0, 'mode': 0, 'uid': 0, 'gid': 0, 'link': None, 'digest': None, 'mtime': 0}
    return e

def diff(old, new):
    added = sorted(('/' + p for p in new if p not in old), key=lambda s: s.encode())
    removed = sorted(('/' + p for p in old if p not in new), key=lambda s: s.encode())
    changed = []
    for p in sorted((p for p in new if p in old), key=lambda s: s.encode()):
        a, b = state(old[p]), state(new[p])
        what = []
        if a['kind'] != b['kind']: what.append('kind')
        if a['size'] != b['size']: what.append('size')
        if a['kind'] == b['kind'] and a['digest'] != b['digest']: what.append('content')
        if a['mode'] != b['mode']: what.append('mode')
        if (a['uid'], a['gid']) != (b['uid'], b['gid']): what.append('owner')
        if a['link'] != b['link']: what.append('linkTarget')
        if what:
            changed.append({'path': '/' + p, 'changes': what})
    return {'added': added, 'removed': removed, 'changed': changed}

args = sys.argv[1:]
second = None
if '--against' in args:
    i = args.index('--against')
    args, second = args[:i], args[i + 1:]
layers = [read_layer(p) for p in args]
tree, changes = merge(layers)
result = {'dive': dive(layers), 'layers': changes, 'duplicates': duplicates(tree)}
if second is not None:
    other, _ = merge([read_layer(p) for p in second])
    result['diff'] = diff(tree, other)
json.dump(result, sys.stdout)
"""#
}
