using System.Reflection;
using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;
// Prints the exported (publicly visible) types of an assembly, by namespace, without loading it.
using var stream = File.OpenRead(args[0]);
using var pe = new PEReader(stream);
var md = pe.GetMetadataReader();
bool Visible(TypeDefinition t)
{
    var v = t.Attributes & TypeAttributes.VisibilityMask;
    if (v == TypeAttributes.Public) return true;
    if (v == TypeAttributes.NestedPublic) return Visible(md.GetTypeDefinition(t.GetDeclaringType()));
    return false;
}
var names = new List<string>();
foreach (var h in md.TypeDefinitions)
{
    var t = md.GetTypeDefinition(h);
    if (!Visible(t)) continue;
    var decl = t.GetDeclaringType();
    string ns = decl.IsNil ? md.GetString(t.Namespace) : md.GetString(md.GetTypeDefinition(decl).Namespace);
    names.Add($"{ns} {md.GetString(t.Name)}");
}
foreach (var g in names.GroupBy(n => n.Split(' ')[0]).OrderBy(g => g.Key))
    Console.WriteLine($"{g.Count(),3} {g.Key}: {string.Join(", ", g.Select(n => n.Split(' ')[1]).Order())}");
Console.WriteLine($"{names.Count} public types");
