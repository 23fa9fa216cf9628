import Foundation
import PackagePlugin

/// Build-tool plugin: embeds every file under the package's `web/` directory (the
/// widget, the console, the dashboard and the demo store page) into the `WebAssets`
/// target as Swift raw-string literals, so `switchboard serve` is one binary that
/// needs no files beside it. Runs at build time on SwiftPM's plugin host; the files
/// and the directory are declared as inputs, so editing or adding one re-runs it.
@main
struct WebAssetsPlugin: BuildToolPlugin {
    func createBuildCommands(context: PluginContext, target: Target) throws -> [Command] {
        let web = context.package.directoryURL.appending(path: "web")
        let names = try FileManager.default.contentsOfDirectory(atPath: web.path)
            .filter { !$0.hasPrefix(".") && !$0.hasSuffix("~") }
            .sorted()
        let inputs = names.map { web.appending(path: $0) }
        let output = context.pluginWorkDirectoryURL.appending(path: "WebAssets+Files.swift")
        return [
            .buildCommand(
                displayName: "Embedding \(names.count) files from web/",
                executable: try context.tool(named: "web-asset-embedder").url,
                // The tool lists the directory itself, so a file added after SwiftPM
                // last evaluated this plugin is embedded too (the directory is an input).
                arguments: [output.path, web.path],
                inputFiles: [web] + inputs,
                outputFiles: [output]
            ),
        ]
    }
}
