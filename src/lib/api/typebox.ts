// TypeBox, as the contract uses it, from this one module so that the build bundles it into one
// file (see "bundle" in package.json): the package is some 270 small modules, which take about
// 100 ms to load, and every remote command loads it; bundled, it loads in about 15 ms.
export {Type, type Static, type TSchema} from '@sinclair/typebox'
export {TypeCompiler, type TypeCheck} from '@sinclair/typebox/compiler'
