# Folder dependency graph of src/QuietStar.Core (issue 12): prints "A -> B: file->Type" edges; "CYCLE" marks a pair
# of folders that depend on each other. Usage: python3 docs/benchmarks/consolidation/folder_deps.py src/QuietStar.Core
import re,os,sys,collections
root=sys.argv[1]
defs={}
files=[]
for dp,dn,fn in os.walk(root):
    if '/obj' in dp or '/bin' in dp: continue
    for f in fn:
        if f.endswith('.cs'):
            p=os.path.join(dp,f); rel=os.path.relpath(p,root)
            folder=rel.split('/')[0] if '/' in rel else '(root)'
            files.append((p,folder))
            src=open(p).read()
            for m in re.finditer(r'\b(?:class|record|struct|interface|enum)\s+([A-Z][A-Za-z0-9_]*)',src):
                defs.setdefault(m.group(1),folder)
edges=collections.defaultdict(set)
for p,folder in files:
    src=open(p).read()
    src=re.sub(r'///[^\n]*',lambda m:' '.join(re.findall(r'cref="([^"]*)"',m.group(0))),src)
    src=re.sub(r'//[^\n]*','',src)
    src=re.sub(r'\$"((?:[^"\\\n]|\\.)*)"',lambda m:' '.join(re.findall(r'\{([^{}]*)\}',m.group(1))),src)
    src=re.sub(r'(?<![$@])"(?:[^"\\\n]|\\.)*"','""',src)
    for name,df in defs.items():
        if df!=folder and re.search(r'\b'+name+r'\b',src):
            edges[(folder,df)].add(f"{os.path.basename(p)}->{name}")
for (a,b),v in sorted(edges.items()):
    back=(b,a) in edges
    print(f"{a} -> {b}{'   CYCLE' if back else ''}: {', '.join(sorted(v))[:300]}")
