"""The demo portfolio's simulation steps (pmo_analytics/demo/).

Golden-file regression test: `test_output_is_byte_identical` writes the sample for six cases and
compares the SHA-256 of every file written with the literal values below, which were computed from
the single-module generator (demo/sample.py before it was split into steps). Any change to the
draw order, the arithmetic or the CSV formatting changes them. If an output change is intended (or
a DuckDB upgrade changes how COPY formats numbers), check the new files and record the new hashes.

The other tests check single steps for properties that can be checked by hand.
"""
from __future__ import annotations

import datetime as dt
import hashlib

import numpy as np
import pytest

from pmo_analytics.demo import FILES, write_sample
from pmo_analytics.demo.allocations import allocation_rows
from pmo_analytics.demo.dates import month_end
from pmo_analytics.demo.month_end import month_end_state
from pmo_analytics.demo.risks import risk_rows
from pmo_analytics.demo.simulation import simulate_portfolio

CASES = {
    "demo_history": {"projects": 60, "months": 12, "seed": 7, "history": True},
    "tiny_history": {"projects": 5, "months": 3, "seed": 1, "history": True},
    "mid_history": {"projects": 300, "months": 24, "seed": 42, "end": "2025-06", "history": True},
    "flat_default": {},
    "flat_people": {"projects": 40, "months": 6, "seed": 11, "end": "2024-02", "people": 7},
    "single": {"projects": 1, "months": 1, "seed": 0},
}

# SHA-256 of every file each case writes, computed before the split (see the module docstring).
GOLDEN = {
    "demo_history": {
        "2025-11/allocations.csv": "969a407e52b9784ce059d3d6163f55fe9bd284e6319dcd89abe5d445802a540a",
        "2025-11/budget_lines.csv": "499cacb67d6cf068950dea4cc4cbb7aa577261f42115d05e1d648043df850e3c",
        "2025-11/milestones.csv": "969b3f0234c1181d5191de6a97459223e9ff4ec01131899c751e497a22da2019",
        "2025-11/progress.csv": "a816eecd2afa03b910b2229e30fc03ea762660b40678dc0e51cccfa805720ff1",
        "2025-11/projects.csv": "a0808811f220c91e1fbd8cd89b1ee32051122ea0d580a5af01db09a5881ee0a8",
        "2025-11/resources.csv": "9c2e27be663e4661ec1b25cf66261c5530eb1801dbaadd485f842895c065bfb5",
        "2025-11/risks.csv": "15ab3da9689d1fe4fd70d6d4d0f917a9f79d10be1c2a633d42ed0aee57747153",
        "2025-12/allocations.csv": "2861dbec5257a0c544923f262637c4a1848e773d55d7d9b75acf6a2d803e97d0",
        "2025-12/budget_lines.csv": "ca1dd284df38b6d3c803b4425d3bb05d6fe317ec472b545e4cbde9d6dc964ebc",
        "2025-12/milestones.csv": "81b1082149c3f65e43d9dca76b82592ae137b48f175e98414441eb612b5502c0",
        "2025-12/progress.csv": "4b604b2a64836d6a7cca72d136ba23e535afea3a06cb3f938a1a8996ef946eae",
        "2025-12/projects.csv": "63fad14c31cdd07c7f0577a381d2bad0455312901f494b8ff68692094a61dbbe",
        "2025-12/resources.csv": "9c2e27be663e4661ec1b25cf66261c5530eb1801dbaadd485f842895c065bfb5",
        "2025-12/risks.csv": "847bbcecc540ecd6022186c37358918969cea366e9572b4db2beb6d39a3d20c5",
        "2026-01/allocations.csv": "2e7811e6ce28ea46fa2c59b6ad1f2c8720e71f6e58e05fcaed32ec35869f8acc",
        "2026-01/budget_lines.csv": "9ada58ffebeb9ff0bdb1481ed517da41f999e569355809187f33ff32b60d2cca",
        "2026-01/milestones.csv": "6ba2adf9b0fb379bc471f045624cab0b49815eeaf07f391784c28abc3311a511",
        "2026-01/progress.csv": "17594eda116861bc29f5f733b147a962271983bd7cf664dc84ea2b2bcd2f282b",
        "2026-01/projects.csv": "9d29f6a2135fcd284eb9290a6533a122bd0b62526bf94fe005668107887c8db8",
        "2026-01/resources.csv": "9c2e27be663e4661ec1b25cf66261c5530eb1801dbaadd485f842895c065bfb5",
        "2026-01/risks.csv": "57bb55edb308cba67fc8eff5519b89e12a15b82e6f28d3589990ff99672e07e0",
        "2026-02/allocations.csv": "e65377b415e4d3832cbb10998ce0aa783db5feb22bded5c25a0753341f029a7a",
        "2026-02/budget_lines.csv": "a219986499a7639d6d10c24ee26ae31ce777dfd1d2c72ba06484833fd280a87b",
        "2026-02/milestones.csv": "f769f0507f4da214610a8af8d5c2f3756aaa1f8a275cc24f19c543f8b0406a10",
        "2026-02/progress.csv": "096b6077fcb398b0503956761e574923370fdc10c34ab6dbac9c036a243df73e",
        "2026-02/projects.csv": "56d75aa471b996a51bfbe06ed22b72a3974b049deefe6adc1b0c2904af745cac",
        "2026-02/resources.csv": "9c2e27be663e4661ec1b25cf66261c5530eb1801dbaadd485f842895c065bfb5",
        "2026-02/risks.csv": "14feeda6fd583f57dd4915188ebbc0fc3f9151652abbb570e8f0c290389485f3",
        "2026-03/allocations.csv": "6e613d585996303bdbb00cf0612a84a7443b3641b42dbba173345d8a9d2dcb28",
        "2026-03/budget_lines.csv": "4f6a206541e5a66757cdbc3524d439c185cfbaf89fc8ec837c85d3b9df6a0414",
        "2026-03/milestones.csv": "ff848ad3f926c283a3b7ec087e926d2dec41f6e6eb18f0b3a40334be0a879c96",
        "2026-03/progress.csv": "9364822a170d635652ca8c3463bd6ee3ff1a17ce24fcbdf1a6a6cc4fa63df2a4",
        "2026-03/projects.csv": "70424f275c372f98eaa8678feed9e80e5c5b296341e0797c239b8ab1ce2d28d5",
        "2026-03/resources.csv": "9c2e27be663e4661ec1b25cf66261c5530eb1801dbaadd485f842895c065bfb5",
        "2026-03/risks.csv": "15b86f91162d70149ff7efeba49f3e26313aff492db8f4263c221073e82c1f56",
        "2026-04/allocations.csv": "433dbd58fa89ed23bbcec2b867b891298162f63b1a2b12d20d25252855a9f36e",
        "2026-04/budget_lines.csv": "7ba8428ab92ae00c9b9fdfa8b31036ea03bbdc52781ea82c4544ad4cf27f184c",
        "2026-04/milestones.csv": "ddc163514a18baa6feafb0618346b95a37521c41a6cb527a8a20ef50c2cac40e",
        "2026-04/progress.csv": "7364cc18798dc03c62cd077ab11ea832c4cbe2f99ff54a5ca51a6e345ee13c43",
        "2026-04/projects.csv": "8c1aa1df71b3d156bb8c8bd772dae561c81c3e44fadada946ca9f7b03970f86e",
        "2026-04/resources.csv": "9c2e27be663e4661ec1b25cf66261c5530eb1801dbaadd485f842895c065bfb5",
        "2026-04/risks.csv": "5b5926b9eed507d70cfbe30475e451cd35f894e21e0e07ba5f87e8b7116e3fd8",
        "2026-05/allocations.csv": "ac0e1f46c73b47aa8cb551988c304e72b20ff348464c7d57b7c8de8f24d027ae",
        "2026-05/budget_lines.csv": "036138aaee1b17d740ea1be212242244660fc69e49da84c0157d2b9c388ecc69",
        "2026-05/milestones.csv": "41b6cbc92e69fa25ccf086d0fe02bd98938cb1730aa2835566cafea1fae26d46",
        "2026-05/progress.csv": "a98c913e0be3fcd57ef5571634f9dffd4ddf52aac39de9b880c154e655c8a331",
        "2026-05/projects.csv": "c50ca5e9fc73a884995bdb58d19e180b7c812af3b4441e513f327758e6f12f5c",
        "2026-05/resources.csv": "9c2e27be663e4661ec1b25cf66261c5530eb1801dbaadd485f842895c065bfb5",
        "2026-05/risks.csv": "a831978fb59a4735ddb1796e43a73e4a1e303ca58149df0b23252562e3363c5f",
        "2026-06/allocations.csv": "5ed853920a236fdee97ab9cafc9eed9a4a6a55bb5f0129a434da5f28b3cc0438",
        "2026-06/budget_lines.csv": "d567ec2357d0501db60f4ebc5dc638c9706bfee585f47c2966b9d4c022f62880",
        "2026-06/milestones.csv": "4d80b35357bc8e0e2dbfef5a3b4cbea74a30d259c140f0f292ac968c42a50c1f",
        "2026-06/progress.csv": "9d7d176751e9d17b5ae6544a2172fcbd92bc80905e94764020b6a1c7e0d46974",
        "2026-06/projects.csv": "f1a93ca95666507c0a4518377a8b34cbc30b9a59e806706aad1100e5e47d20f1",
        "2026-06/resources.csv": "9c2e27be663e4661ec1b25cf66261c5530eb1801dbaadd485f842895c065bfb5",
        "2026-06/risks.csv": "5f261bf51113510c2c7a5f9d3642dd0424b9b01ba7e67d15d8bae14fb25c89f5",
        "2026-07/allocations.csv": "d01234e0f60618d1ea148d02598aa0b2a4e850601cf776a290d190cf3fe5cae5",
        "2026-07/budget_lines.csv": "4da4f53259c4efac4cf129a82ff1bb616839e1295caa074f8b572d98b4b544ba",
        "2026-07/milestones.csv": "30289b64ec2909f25fd100c5f8d2e6fb5927d71e5e11abfdfda1573cab4f309b",
        "2026-07/progress.csv": "d3c50299dbf194086e2b16dd755681bb3c1d85ffa4dbb21142df73843e42f6ca",
        "2026-07/projects.csv": "f569c0fb92c5e85724898f268ae0ee4fbf548d62c6bcdd5c648c82573509e9ed",
        "2026-07/resources.csv": "9c2e27be663e4661ec1b25cf66261c5530eb1801dbaadd485f842895c065bfb5",
        "2026-07/risks.csv": "f744c249555599acb356c6330802ae067b641592244ce1251cd53c728e067f91",
        "2026-08/allocations.csv": "53ee94056640fa37f9f6190fce79c6efe10a63932e50e58b291b76822d31ad25",
        "2026-08/budget_lines.csv": "72c9f0f666eaae5e6b4752746e06b55e522e2f331052a70b78df771de57e1ff9",
        "2026-08/milestones.csv": "9513e4dda15739c7be966cba27f1fb04810d986ef9654057b93571a8746e3fba",
        "2026-08/progress.csv": "9027e04a6b656a6fd56224626311fdf463431266cd3c1d4e99d18757adf4263b",
        "2026-08/projects.csv": "be49b0c2e7f26542622c8f4e2cf2163411f634dd9093bffcccd2ab028c6cdc16",
        "2026-08/resources.csv": "9c2e27be663e4661ec1b25cf66261c5530eb1801dbaadd485f842895c065bfb5",
        "2026-08/risks.csv": "7843ae1a5c5e7117af54e200346a5d6df91e62f74be0cb3e19531ee891932e1e",
        "2026-09/allocations.csv": "01cb4b53ac55591f7bc95a6a6993a176cb21de3d80a25ddfbb582cc764eb7b11",
        "2026-09/budget_lines.csv": "3cebe49b87a28fc68b2cfeac7c4afeaf41acb9127a5561bfa7465eb388f46814",
        "2026-09/milestones.csv": "0ecddf09aa32a8fcb05232b7b5d7b3aa4b848e6151be1a40636411f83d0e935c",
        "2026-09/progress.csv": "c72eac029709722e69cfa36a6572679f029f6554ada116f8cd7ce708f5a3ed3c",
        "2026-09/projects.csv": "e7a9a7d88d662e29f2c682209d269045a3c9d98bd0b9de4711d596eae790326f",
        "2026-09/resources.csv": "9c2e27be663e4661ec1b25cf66261c5530eb1801dbaadd485f842895c065bfb5",
        "2026-09/risks.csv": "e342b7117131621dd64ea8d2aefc185b07941010f83e2d022abdf48b697f263b",
        "2026-10/allocations.csv": "0205c7a0da342e97c814558d425c5c41ca6bc96d4e8219cb4706e8ae00202c3c",
        "2026-10/budget_lines.csv": "7d4b811a69337f2bd84e38b50ddb8a906150f7581ba105dbe796bc71252a2be1",
        "2026-10/milestones.csv": "d632a3a063c8ee390c212ab27d5f9dcba846ef098e93abda94511ac56c93b9ea",
        "2026-10/progress.csv": "e43a87c366df7affbc3fb66cb8df447bdc267a90a725d0abb30aa0350400e9a8",
        "2026-10/projects.csv": "da75e987be99edf0436a5bfe2bfd92dc2db55b0d47ba592daac715a5b0538e6a",
        "2026-10/resources.csv": "9c2e27be663e4661ec1b25cf66261c5530eb1801dbaadd485f842895c065bfb5",
        "2026-10/risks.csv": "c62223767afae142fbb3a4fc24787eb49323e2f842a34f31ce7696c82bf12752",
    },
    "tiny_history": {
        "2026-08/allocations.csv": "90408a2bd9a1746eb17d01a09d2981388a514d0a24ca97c4cf82452b91bdd414",
        "2026-08/budget_lines.csv": "72c8f92b2649316cb824a5d075654c338bafe8d74e8efc4d9bf051af0fff25dc",
        "2026-08/milestones.csv": "e73f7733749ff8a51c9e30c16d306ee97ed9b9a6a9eb072eaeab3d4ebe145b23",
        "2026-08/progress.csv": "85cc4761f4cd1342e3f3c418e19612b1abf767e3878ccfd4e74643f49e202609",
        "2026-08/projects.csv": "f3a69cc88a74a4a5677dc7a1636642cc6227365fda4297fd7b778b8272fd679a",
        "2026-08/resources.csv": "87ba20ff7d9cdcc4fbffd2a497bf3a04eee8fb9fda264cbaa200593a7cb96f7e",
        "2026-08/risks.csv": "d159fc6eacdfb5b6d679591795d6a734c93d320035447e621916910924e12bdc",
        "2026-09/allocations.csv": "e37951410a13651d7b9decad4e53e1d307c75198ff09ee797d24f8af71e3725f",
        "2026-09/budget_lines.csv": "1e1b054a49257369a9ab522106acbc18c93cc5f6bb9121454033bdb866d2c4f0",
        "2026-09/milestones.csv": "01bb09979673355f49c0f90add822cddceb7758dd3f0004c9e0e7baadd1be4ff",
        "2026-09/progress.csv": "b16ff29ba417819a279acd0c2985ea076f7a5f0788cb4b596352deb74a699692",
        "2026-09/projects.csv": "b620c440103589d19b0353704f31cb0513d1fdf02fe880d5f48379df37c0631f",
        "2026-09/resources.csv": "87ba20ff7d9cdcc4fbffd2a497bf3a04eee8fb9fda264cbaa200593a7cb96f7e",
        "2026-09/risks.csv": "826b5534afb0cf0bc09ed468a26a43f43b2959ad7c745e14a64bf5a374ef8efd",
        "2026-10/allocations.csv": "ae883b24e3a1147727acf341acace9890a1211293ae2da414dcbbe2279be43a4",
        "2026-10/budget_lines.csv": "e1ceebc3bec5380aa9704d2d7a347dd004b97c104ea82a4151dd434c1689a478",
        "2026-10/milestones.csv": "a8f2a22c117d12e00bb509cd1c8df1bd779d51904b16728e024615813b0bd6c1",
        "2026-10/progress.csv": "06ff5db82d88693ca97a715187e9d86a3f0c0a3e64a63968252bf7efb8a87ae4",
        "2026-10/projects.csv": "e9511f1cc82984a6b60632c3c379966cb9c51f33c0032710bcbca1e8f22fca2f",
        "2026-10/resources.csv": "87ba20ff7d9cdcc4fbffd2a497bf3a04eee8fb9fda264cbaa200593a7cb96f7e",
        "2026-10/risks.csv": "5f8c6f0cdcd9e15e7997f3e36c10bf7df4fa5c7f228a458ed6aeb2948e38fd98",
    },
    "mid_history": {
        "2023-07/allocations.csv": "123b355905f98d7694c1429e18b16f3b82d37131c06b5a6f5893051fe0160e47",
        "2023-07/budget_lines.csv": "b40a02679b901614799f985ccae1229e2ba4ed7cfee3b21a3169b030025755ca",
        "2023-07/milestones.csv": "940d1aca17a2004727dd7ca611c316f2e0df3c88807db7f24e5788a07f4421d2",
        "2023-07/progress.csv": "58517544dc2d483c105d7bb61967d0b6bfc68051f3fca73ec90a384956cdbf95",
        "2023-07/projects.csv": "0ac0df2992eeb6f892610f83b355e5aa61eb208cee20a5392a185dac3cbd273d",
        "2023-07/resources.csv": "3d26da5ca5e6ec3e3f680f257c6be74848f72e6e6c88fb8f3e61627fad7c2788",
        "2023-07/risks.csv": "6ed2397c9b87dd678b025b0187d03fba51a6e5f1ab5e31b08b6b4442050e1baf",
        "2023-08/allocations.csv": "2db30c002cffb44f15f4d679abc29d79be3054682a55274ae9af32d4ab33701c",
        "2023-08/budget_lines.csv": "8beb2dc71ea4dea0ca61537ea50862606be61195f80e32f050d6c9595b1c28b4",
        "2023-08/milestones.csv": "b47d25c2fe6cf1c41b699251c947dd8143276aba5d87db3e3f487057d394b763",
        "2023-08/progress.csv": "180298f18c844485a234c7108755de553684c1bd893d92d4b8fd5cfadb4d76ea",
        "2023-08/projects.csv": "d092acad6cd03e6d656f2bf63b01abd463a47475c0e54997e55aeba33c6fe09a",
        "2023-08/resources.csv": "3d26da5ca5e6ec3e3f680f257c6be74848f72e6e6c88fb8f3e61627fad7c2788",
        "2023-08/risks.csv": "ca457180f16e68b5a848fe4105c97a5454c46fdea8cc3616a41dc743d95b9ac8",
        "2023-09/allocations.csv": "75df901fd99a654bfff8ea8b8e2169f8bf2ae7c4980caf73746f4c0d7c2394bc",
        "2023-09/budget_lines.csv": "f60aa882c3fd69e8a9d1f228bf8460c2fd65aec5bf9b0c81c7d2de2b7651088d",
        "2023-09/milestones.csv": "f685d65a2e9141fc3eaa737748758b0ce33288fddcd7c7ce8db305bfde2e8db5",
        "2023-09/progress.csv": "52a15e35077fd880614c56c76753eabce6523f73c1601e521ac3570be87b3991",
        "2023-09/projects.csv": "a313b06f7016437cd716b284762db927a6f38e0616016143d7bd989212cb77d2",
        "2023-09/resources.csv": "3d26da5ca5e6ec3e3f680f257c6be74848f72e6e6c88fb8f3e61627fad7c2788",
        "2023-09/risks.csv": "014ba5bbc38e3031feea3bc57e2e862a5cd0070b50a9687ced390679353b5368",
        "2023-10/allocations.csv": "53f869226338246d2dfab213736f6949e8071871b8d6ce09014abe5d148324be",
        "2023-10/budget_lines.csv": "5cce9a0f3baad1b668119f4acd52da458363349bea1ca4c347d60bde2f4f8b7a",
        "2023-10/milestones.csv": "b1a7689e17f7599e4981dab1738ef562b7ce26160ed38862eb52d86b502a2201",
        "2023-10/progress.csv": "5d64f94a55a1cb87d673275f19a9360181f5008758d5a1324a0d0f8091cebc6d",
        "2023-10/projects.csv": "17c18b47fffd37716a35d6d6a1a378f35c4bb86cb890790f0fd85176691801db",
        "2023-10/resources.csv": "3d26da5ca5e6ec3e3f680f257c6be74848f72e6e6c88fb8f3e61627fad7c2788",
        "2023-10/risks.csv": "18725c535aeefee5d1ee149eb3fb3fe4039fb1cf08b6591e238eb0cb82800eab",
        "2023-11/allocations.csv": "ed3a9c9378a98cb80f2590c270e26cdd6d6f03139dec31c8d123d03262ca52d3",
        "2023-11/budget_lines.csv": "8c65bf6b4ad93aea7b97b4e5f0654b92d5e6fddddeabce19064fa18a12f73c0d",
        "2023-11/milestones.csv": "a800d7eff23d9f63b1ba027764f4de59286c1536a89ecb1b3a8d31b7a0ffb018",
        "2023-11/progress.csv": "28aabd7f7ff80ed50131542e743635221bccac08db4d34cc336c3a4e624c0ec6",
        "2023-11/projects.csv": "38cbcf150589f081d946a69ea3bb56be71cf4c82f2bb0aa1c438cb9b3fc34add",
        "2023-11/resources.csv": "3d26da5ca5e6ec3e3f680f257c6be74848f72e6e6c88fb8f3e61627fad7c2788",
        "2023-11/risks.csv": "e2317f34416869c1def70817b289f28a6e17e68240fd063b8791b1962b9ad023",
        "2023-12/allocations.csv": "d8e2f241b9fdfd1a618b1c3d676a1b56457d391bd9db76f31118d99ab3309b24",
        "2023-12/budget_lines.csv": "5dc1c55f7842ef20a2bd9b4424c47964d20b2aecafd4cef59e820564293acebe",
        "2023-12/milestones.csv": "89591dbeef1d6da6e49aa4530126fa9a68b33900bbba4f70768ab8cfe3eb00c3",
        "2023-12/progress.csv": "24688e4b8ba6d627cb68a0b4502cf9b2775337247fdaeb6c7d7926287cba735a",
        "2023-12/projects.csv": "c2570e7dffb7011ad4169efd1f4dd619269c35c75362b908e7f8c494b63009ca",
        "2023-12/resources.csv": "3d26da5ca5e6ec3e3f680f257c6be74848f72e6e6c88fb8f3e61627fad7c2788",
        "2023-12/risks.csv": "e73b1dd342db11cd5ad4f6356af04de11ee1738034a4d7069d7d99a044d013d5",
        "2024-01/allocations.csv": "45129753c9c68fad3d1706b1c70b6ed65fab7a2a1fd6cb6ff6c483c524614bf4",
        "2024-01/budget_lines.csv": "e3515b1c2e7fd6fb798351ee3be02f86ffa7eeea1ccffc726d537c9427f0bafb",
        "2024-01/milestones.csv": "ed334c8f8f23db5bfbce40a6ead96175c2fdb9193787f5c1298580d010624862",
        "2024-01/progress.csv": "a08d139c17b2105ecf8f9974f3b5c083395b1b420cc8da371c8cffeaecdff1bb",
        "2024-01/projects.csv": "a3b1a91d162b59ae307e42aa0fb96476de6256faf12e2739eaa231b396996908",
        "2024-01/resources.csv": "3d26da5ca5e6ec3e3f680f257c6be74848f72e6e6c88fb8f3e61627fad7c2788",
        "2024-01/risks.csv": "f0f463a3f2aaa13c6e1acf028deebed86297525f598a818282055a76cc08aa8b",
        "2024-02/allocations.csv": "37a993bc75076786a726f05f01a9cfe881fb7a725906acd7fcdb09411ed299bc",
        "2024-02/budget_lines.csv": "84fa488836390b998a4062666d92f2db73fc4e3e0f5c860b4573079578c59a0a",
        "2024-02/milestones.csv": "b95838fab758b9081e0c70383006c4d5b85f0349a7d6cbe46fb93a9dcc0a7ded",
        "2024-02/progress.csv": "6ddff78ae1c70ee9d3705d301de6dca3797e5bc0078f3c90ca3d4e8d7417d68b",
        "2024-02/projects.csv": "7618d37db61353a4580ac4b0daa0365d5c0e0506a2315c6ea3ac9d8f68b44589",
        "2024-02/resources.csv": "3d26da5ca5e6ec3e3f680f257c6be74848f72e6e6c88fb8f3e61627fad7c2788",
        "2024-02/risks.csv": "1a335d9d67b9576921a783c16cdea4149a529799cd1990113b3007b264a50990",
        "2024-03/allocations.csv": "e8b545bbea344c0f1a7f21f5c30c53630925a71bc09b53f27945c5203688380a",
        "2024-03/budget_lines.csv": "c82554b925f7fdcdadf96844c1d6556b62bed813fc589f92cf93219523356768",
        "2024-03/milestones.csv": "79d5e9b167e88f621dee78d95d1bffaa95cf77c303a0c88bfa7e510b11fb8e0e",
        "2024-03/progress.csv": "0fd3029f77721f04698e22ffbbbcaf499b994b41c00095c4c8bc7a561107fad2",
        "2024-03/projects.csv": "b06d298e724cdfd565456c0be53c226fc8b8096e42fd0de4a1321dfb64e28c80",
        "2024-03/resources.csv": "3d26da5ca5e6ec3e3f680f257c6be74848f72e6e6c88fb8f3e61627fad7c2788",
        "2024-03/risks.csv": "de25f2615555b669ab02e73ecb82b4de30a1983af91cd4ee1cc0bc44928f0599",
        "2024-04/allocations.csv": "de6f08b2d694f88d5cccf54b3a194b6f3ea461e02d8d1d55d4293808fb04ad9c",
        "2024-04/budget_lines.csv": "b386b61c54cbb4cb6528e79f277cd7be3329bf5f0fce4f2d8bed1d7267c287e6",
        "2024-04/milestones.csv": "83af9030594f713258be030f391f7df09d54bffcea402fedadaaa31a216cb1d2",
        "2024-04/progress.csv": "e99286f54c0b86c4382b620fac1e713b7be4f467a6f18e22c3a94ed0dc9bec7b",
        "2024-04/projects.csv": "f8e2efab10e860fc27d8cb5f1aca7f713e80ffa074f3bbefc7c8274fa10f1a45",
        "2024-04/resources.csv": "3d26da5ca5e6ec3e3f680f257c6be74848f72e6e6c88fb8f3e61627fad7c2788",
        "2024-04/risks.csv": "02ecb154f52a9c05cb41a413279193ba831375ee62f50641f39978707b88bac6",
        "2024-05/allocations.csv": "2cf21d08b59af47a0914ac932e6951728bfb7a3b582e3d09d7d2c946b9e47745",
        "2024-05/budget_lines.csv": "1614e2782dfad9ee395bd2a699f3ccd2626d75af5167c2606988e4bb97b2c795",
        "2024-05/milestones.csv": "9e088e1a6c583c4ff76fcba249f6d2678792effc9e8d052b70e746b8121a59f6",
        "2024-05/progress.csv": "61a35c0dffff57ef325e82243b86d788d9563a9c3e12346c75603b61f3700dbf",
        "2024-05/projects.csv": "0b42126acf136141ba114ef7ff45a63b0b975aec56bfcb0a3d340ddf31811176",
        "2024-05/resources.csv": "3d26da5ca5e6ec3e3f680f257c6be74848f72e6e6c88fb8f3e61627fad7c2788",
        "2024-05/risks.csv": "a28ddf7e5e214511c702e4adfc8b3fde50547885423eba53d13b905d4e3c12c6",
        "2024-06/allocations.csv": "305c85319cf25b6acb6c910033c8ff0bde420d08bae2f87f44154a36a8bbdc1c",
        "2024-06/budget_lines.csv": "54240c36c0bb9268737f4872bb7011a1f94fa973c1f548d0ee33ca38f56e17c6",
        "2024-06/milestones.csv": "0e714848c74bcb3f9d3d07be67eb8efac3d3ba1543f7197be891da045c2f0f94",
        "2024-06/progress.csv": "c207ff124ea79e3e06b6654e232dd459b0b850c68f1a1934695a9cac54af801f",
        "2024-06/projects.csv": "b5d0be4fdd22c3a02b989a0d32e1b355cea436609a46d7352befa21957bc4611",
        "2024-06/resources.csv": "3d26da5ca5e6ec3e3f680f257c6be74848f72e6e6c88fb8f3e61627fad7c2788",
        "2024-06/risks.csv": "2eec65661ca492f2d85f3d5523d5adab5d579ab919aa6189ec46657cbef4a1d3",
        "2024-07/allocations.csv": "6e868987dd3a0bf3c6034d9468387a158661874769449271a95954be022572c4",
        "2024-07/budget_lines.csv": "98a724735e9353d79b1943e87e4dbf355401c47043ad2dd696e8e58a9c9c2d47",
        "2024-07/milestones.csv": "fae823b05dd9aa9f9bcc6d40fc891aa3d3fc60e9dcbf89ffcaf24ce2bc47e87b",
        "2024-07/progress.csv": "13150678d99e7d05856abaf909dd3d9d2be5ecfa539ca3504d16e161fdf1b5b1",
        "2024-07/projects.csv": "fe42947410e555c5349940f78a1153161c9589f9b81b65e8376a916eb84e8548",
        "2024-07/resources.csv": "3d26da5ca5e6ec3e3f680f257c6be74848f72e6e6c88fb8f3e61627fad7c2788",
        "2024-07/risks.csv": "b14df953b7d538ddb4e00e4dadf1420d0f3a9db9b005e3610bc224fb3ae0e456",
        "2024-08/allocations.csv": "8bca5ced8f7123bf92830b609f7a3d63779fb498acc1708c87e813dca9769f16",
        "2024-08/budget_lines.csv": "c971c352f2b120d8825976e633a5c4167e66a867277261fc9b663cb864c63615",
        "2024-08/milestones.csv": "8f5c0c7dc0b2a4ff5e68c28ea007f4ef6f6644f97897a4d1b9b29d368c416ee3",
        "2024-08/progress.csv": "5d5225ef7ad100e26cd9d567565d9505b1ac82f4c03990760f75e5de05d8913b",
        "2024-08/projects.csv": "377981336d075698b6e3d7d4dc1abb3e0c3c6573501e6e30c55fb63b35833f23",
        "2024-08/resources.csv": "3d26da5ca5e6ec3e3f680f257c6be74848f72e6e6c88fb8f3e61627fad7c2788",
        "2024-08/risks.csv": "052722d1efa68f269a9924fec8529eb32ed7aa6366eca812489eac152e90f390",
        "2024-09/allocations.csv": "df62ea11dd5b2db3b092b1288242bc86b92e454cec1f04b781d2bbbd8cab5f30",
        "2024-09/budget_lines.csv": "4454e2fb73814c450100c7c7d6d2d94132d00a1025bbfc2dd56124ceed33a6d8",
        "2024-09/milestones.csv": "6aa0a7360e23f4a7fcffce3dc566ed2ddc5fe5d459394693837e1f0ce39cf6c1",
        "2024-09/progress.csv": "eec1951248bc32a6c4f18d80dbbb36f9c240910111876bbc6741773e012dc106",
        "2024-09/projects.csv": "498903d99446872515f0abb8a674a108fc9e837e3a7231930bdad714da229737",
        "2024-09/resources.csv": "3d26da5ca5e6ec3e3f680f257c6be74848f72e6e6c88fb8f3e61627fad7c2788",
        "2024-09/risks.csv": "3812968e741d686eccd92ac1990a4d299ecce0884ce8646f89880bc65b4a5c69",
        "2024-10/allocations.csv": "a597b7bed0c2612a2d1b50d42f2179520338b9d5c3607b23bb62bab83189bb2b",
        "2024-10/budget_lines.csv": "5b40cc218cf896b75096180be0a8e7341796a136862b1aaeb58a0217d1002b12",
        "2024-10/milestones.csv": "9ee4681ce986ec52c00668492584f43bdb1a8b09b0902ae080dcea33fa28fb9f",
        "2024-10/progress.csv": "864706e49fa1ad80cd39ec760023c7f31ed7078416dfe7027f12c02e5b101bdd",
        "2024-10/projects.csv": "8513b9fb72e1851130035d4ba26f36395ad06a255029c83c0afd71494f192584",
        "2024-10/resources.csv": "3d26da5ca5e6ec3e3f680f257c6be74848f72e6e6c88fb8f3e61627fad7c2788",
        "2024-10/risks.csv": "f60ae7653ad47967475c144637ce7b1ef382b0901eec6ea4e7c19f90110af57c",
        "2024-11/allocations.csv": "1def33993a7b540c9f5cc887f547e5e93bfa0df95f29b16189dbd3663ff58e03",
        "2024-11/budget_lines.csv": "404f9006eb3e1c060a0b00bec8360b8f2c3b93d794ba6882b22ab70981904da3",
        "2024-11/milestones.csv": "79d1a76d2061d2e9b407f6351d6efbef76b1d7abffd4554e0babdddc7ff77982",
        "2024-11/progress.csv": "5c8f32b786e7d3610988c2e2913a4f681dae5f755cf798eb817b7697cb01cf71",
        "2024-11/projects.csv": "5fd1803f2a2b49539fe61a070193d8b7003b92daa8bcb3aec9cfbc591895164f",
        "2024-11/resources.csv": "3d26da5ca5e6ec3e3f680f257c6be74848f72e6e6c88fb8f3e61627fad7c2788",
        "2024-11/risks.csv": "dee09abdcb6f265b4daa6f023aa93fec6d647e2ccae6546111ffc9e387e871bf",
        "2024-12/allocations.csv": "fdb9aa6f9c1545341c13b2c1a3f336f3a4dbdf62d46a3cecea69a35712f0840b",
        "2024-12/budget_lines.csv": "da5ce44cd30073b5fa1a4c503ebb63781a2807aa08044301f27d0313824f0bf6",
        "2024-12/milestones.csv": "9dec2eee2308d17839ec464798c3f866180fcba6de159089bf1e193e25b8fb38",
        "2024-12/progress.csv": "cb661a016f507610c07549bca74c590fade5e41d7dd3484a4acccd65ba3e6538",
        "2024-12/projects.csv": "fbfa11d5b37b6cc5a1d24aa8c57fc248cadf1f13f27f6fa553c21f4bce9482fc",
        "2024-12/resources.csv": "3d26da5ca5e6ec3e3f680f257c6be74848f72e6e6c88fb8f3e61627fad7c2788",
        "2024-12/risks.csv": "74566383279df386d43c2bafd5c1e457776b10870fc1abfed9c71f0d76d2b874",
        "2025-01/allocations.csv": "6f01ce838cf10554adad6fab77c712041e7779711a5ecc3bf6964c14b2c1b4ba",
        "2025-01/budget_lines.csv": "de110f4649952893cc7dcb7d4069d6e76e80c72a786178e3b7ed4295588237ea",
        "2025-01/milestones.csv": "cd7c57d5be2df3b6b22dee8eff6a1f31dc1c1eb28d767e4e32b7bdd7a3819055",
        "2025-01/progress.csv": "e06b082383bf07512942fc3e6ba51cfe1a63f433d1ea3fd163f0216304d6f1df",
        "2025-01/projects.csv": "85cbb70d388b942e211af75e877bd9168ac02c41ebfa2f9a950c54e89f15f148",
        "2025-01/resources.csv": "3d26da5ca5e6ec3e3f680f257c6be74848f72e6e6c88fb8f3e61627fad7c2788",
        "2025-01/risks.csv": "3897c971d5aece2c633c156e98f3f2e3825f85a29f810bd47e9046cd8c9fb209",
        "2025-02/allocations.csv": "9472f732d8f713a5392da5b7d38e682241c468a09974e0ffb25d87d615cfaf16",
        "2025-02/budget_lines.csv": "2d39edbbcf5fbf2344639afc332e3fdac58225b958fd61c1138f937b0f3be591",
        "2025-02/milestones.csv": "9f96b06c8476808c895e5acf2de699303a3a2cc29d1e0d4fe3e36cf21645388a",
        "2025-02/progress.csv": "52173884783f92a9b9c7f708eb1b05c7b0c56be520f7a387f2ee24099fe335f4",
        "2025-02/projects.csv": "5c070d5f64288c3237997416f2b3f8f8f5fff33e7572b99b6b626cdf329667f1",
        "2025-02/resources.csv": "3d26da5ca5e6ec3e3f680f257c6be74848f72e6e6c88fb8f3e61627fad7c2788",
        "2025-02/risks.csv": "7de84b403e991b90be826877ed1e5a03f394d9df8416b241418c257d22904e52",
        "2025-03/allocations.csv": "fd3eb4ff98803c7cd2f1f45f01bc9e56f578ac7a6fcabc3e8e746562005f94bf",
        "2025-03/budget_lines.csv": "a7498920e6b896951657824ff3e6f9f464886a0dedeaddcd2df751c9c2e751fb",
        "2025-03/milestones.csv": "66044d0fc5b8558344a0ac41dff4138de8bee0f42d734728cc7c34993c5c2f24",
        "2025-03/progress.csv": "1b50e78affb6f5e475d7826f9e98ebade2ca57f3c3f1e14d0c7fbead19d84088",
        "2025-03/projects.csv": "5321c2aeedf6a36487cde63e6c1e68a3bb164d0a9cdc151d6106731e4d14d716",
        "2025-03/resources.csv": "3d26da5ca5e6ec3e3f680f257c6be74848f72e6e6c88fb8f3e61627fad7c2788",
        "2025-03/risks.csv": "93a831f983a67f7aee0edab7324bfe61f531045f697d4f88acc9f9762c85f16d",
        "2025-04/allocations.csv": "a33ee7c3da194814bdb571b4ec9fc0dd2f315360b0360048b3aa72452393b899",
        "2025-04/budget_lines.csv": "22e6b12505c503af75cbb49a9c03ac0771bc005766569a9375f948cd03818920",
        "2025-04/milestones.csv": "0e4d2be1b1b07ac402371073056d4c8062368bcd8f48fd2727662332a66fac7e",
        "2025-04/progress.csv": "3e2d175596804bb0204afdd631faeca90e5899774bdefe8b0b467296d9db1df5",
        "2025-04/projects.csv": "0d6952ce1b5cff149ad04cd5cbb4ee9fa12d651ecc153c87da3caf276d268ca7",
        "2025-04/resources.csv": "3d26da5ca5e6ec3e3f680f257c6be74848f72e6e6c88fb8f3e61627fad7c2788",
        "2025-04/risks.csv": "bc52ed1d218ff0dcde80c4b7b9ba2d46271a590cf11379f864e610d610f30624",
        "2025-05/allocations.csv": "3a2bb918f7dbaef40b4c8299bf5b5ed5fc396114907afd023c06d1d08dce0ae2",
        "2025-05/budget_lines.csv": "60d5dcf53710397119c7ce888a1adadd519e783f321a32ac1e6d47f4aaed07b3",
        "2025-05/milestones.csv": "e7c599683394b768fa4cd35510e9b4b50268371b504e124284be1a7fd18322da",
        "2025-05/progress.csv": "298c33a569122582f6cf5b29fefb042685f117149b3500a6b9caf3fdc168c723",
        "2025-05/projects.csv": "fc69ded2aa0289fbfdef3a246f631471d1f8387744a37559f4f3a5cbf189ce3f",
        "2025-05/resources.csv": "3d26da5ca5e6ec3e3f680f257c6be74848f72e6e6c88fb8f3e61627fad7c2788",
        "2025-05/risks.csv": "b32cde3dcd3f7d78ba7a48121c19fcf2c186f52598086d952b78e08dfbf78271",
        "2025-06/allocations.csv": "bd94e2d4d9a7635171760b24a8880876cdafb527ccb9f327f30457fda19f2f7c",
        "2025-06/budget_lines.csv": "29a908e376f657d7df2440ae57736cf8c0662a634b253bb9b1892de81c92d008",
        "2025-06/milestones.csv": "390d98e61e29529e77f89ab13d9c2e80931b8d8c840ba88283f997577685dd7a",
        "2025-06/progress.csv": "7c27722acf7ed3c5fee4c568ad5d160fb12722f52c76eb0f84507525f142cba1",
        "2025-06/projects.csv": "3f3ab1fb45b3fa8dcc3d6c79b8cd9e4a8daf0f3edd3c4d78151297209294814a",
        "2025-06/resources.csv": "3d26da5ca5e6ec3e3f680f257c6be74848f72e6e6c88fb8f3e61627fad7c2788",
        "2025-06/risks.csv": "44489e0f2e30f9562a60af3eb5c51ad75e9242d58af2958131e0c8373d56e192",
    },
    "flat_default": {
        "allocations.csv": "0205c7a0da342e97c814558d425c5c41ca6bc96d4e8219cb4706e8ae00202c3c",
        "budget_lines.csv": "7d4b811a69337f2bd84e38b50ddb8a906150f7581ba105dbe796bc71252a2be1",
        "milestones.csv": "d632a3a063c8ee390c212ab27d5f9dcba846ef098e93abda94511ac56c93b9ea",
        "progress.csv": "e43a87c366df7affbc3fb66cb8df447bdc267a90a725d0abb30aa0350400e9a8",
        "projects.csv": "da75e987be99edf0436a5bfe2bfd92dc2db55b0d47ba592daac715a5b0538e6a",
        "resources.csv": "9c2e27be663e4661ec1b25cf66261c5530eb1801dbaadd485f842895c065bfb5",
        "risks.csv": "c62223767afae142fbb3a4fc24787eb49323e2f842a34f31ce7696c82bf12752",
    },
    "flat_people": {
        "allocations.csv": "5a06317149fb68679b8141db36999150d6d0e132646e56ec036f1133c8a80a78",
        "budget_lines.csv": "4fee7a4f0dd3a0751d5afcaab4d500ff856d712df19a002b88704954d6d54a26",
        "milestones.csv": "e51fbce6e400b84b56ddbfab389d1f773d72af3c0ade5674ac63f63283f70f5a",
        "progress.csv": "4559824fad87174413e87e8e9667a6224e12090ba28c32a3c50c7929aa652451",
        "projects.csv": "4942bbff8a94240404c7b826d5d1352f4e55b5d5560e38b088ee4fc72d76d472",
        "resources.csv": "acb0f59279b9d1319621c0532956ee3d3a462740c900e900a2903210546680fc",
        "risks.csv": "362d9730e9cb080fc00035cb01a3a51205c3ca2c9a54ae3d78a47f15cd01313c",
    },
    "single": {
        "allocations.csv": "d8a15500456c293b0fb8289aa93b205c483974f0341c63a57206260ed16c35fd",
        "budget_lines.csv": "e44eba87b086d4dca58ec9765aa69a187cdfb70e8955b6c9029916d6ac7eb5e8",
        "milestones.csv": "565b77c18b7943f01ecfc2ac2c7b72f07f051d7c833205ba575cb7521b1c49b5",
        "progress.csv": "8c3431171ecb0a8b5004037a8f2527868d1aefbf1cf07961f86688c1143b6d4b",
        "projects.csv": "71229feb56177fee0be2bf96781d81d51d70945d1c16dd8549e8024461ec645f",
        "resources.csv": "111517c1240a39c234558b9e05ceca67633f9382988c7647ce2c547a9bd656c2",
        "risks.csv": "fe528d99a3d10ac3566bc999252d4dd4ce4030cd7102a0bc9ee209c88c18b51e",
    },
}


@pytest.mark.parametrize("case", list(CASES))
def test_output_is_byte_identical(case, tmp_path):
    write_sample(tmp_path, **CASES[case])
    written = {p.relative_to(tmp_path).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
               for p in sorted(tmp_path.rglob("*"), key=str) if p.is_file()}
    assert written == GOLDEN[case]
    assert {path.rsplit("/", 1)[-1] for path in written} == set(FILES)


@pytest.fixture(scope="module")
def portfolio():
    return simulate_portfolio(projects=300, months=24, seed=42, end="2025-06", people=600)


def test_every_milestone_baseline_falls_inside_its_project(portfolio):
    """Business case approved is at approval; every other baseline lies between the project's start
    and its baseline end, in schedule order, and the handover is at the baseline end."""
    plan, prj = portfolio.milestones, portfolio.projects
    p = plan.project
    approval = plan.kind == 0
    assert (plan.baseline[approval] == prj.approval_date[p[approval]]).all()
    assert (prj.approval_date[p] < prj.start_date[p]).all()
    later = ~approval
    assert (plan.baseline[later] >= prj.start_date[p[later]]).all()
    assert (plan.baseline[later] <= prj.baseline_end[p[later]]).all()
    handover = plan.kind == 7
    assert (plan.baseline[handover] == prj.baseline_end[p[handover]]).all()
    same = p[1:] == p[:-1]
    assert (np.diff(plan.baseline)[same] >= 0).all() and (np.diff(plan.kind)[same] > 0).all()
    counts = np.bincount(p, minlength=prj.count)
    assert counts.min() >= 3 and counts.max() <= 8


def test_every_allocation_week_is_a_monday_and_actuals_stop_at_the_month_end(portfolio):
    work = portfolio.work
    assert ((work.week_day - 4) % 7 == 0).all()  # 1970-01-05, day 4, was a Monday
    T = portfolio.window.last - 3
    state = month_end_state(portfolio.seed, T, portfolio.projects, portfolio.schedule, portfolio.baseline,
                            portfolio.spend)
    rows = allocation_rows(work, portfolio.staff, portfolio.projects, state)
    weeks = rows["week"].to_pylist()
    assert weeks and {w.weekday() for w in weeks} == {0}
    as_of = dt.date(1970, 1, 1) + dt.timedelta(days=int(month_end(T)))
    assert min(weeks) >= as_of - dt.timedelta(days=91) and max(weeks) <= as_of + dt.timedelta(days=91)
    actual = rows["actual_hours"].to_pylist()
    assert all((a is None) == (w + dt.timedelta(days=6) > as_of) for w, a in zip(weeks, actual))
    planned = np.array(rows["planned_hours"].to_pylist())
    assert (planned > 0).all() and (planned <= 168).all() and ((planned * 2) % 1 == 0).all()


def test_risk_probabilities_are_between_0_and_1_and_closed_dates_match_statuses(portfolio):
    register = portfolio.risks
    assert ((register.probability >= 0.1) & (register.probability <= 0.9)).all()
    assert (register.raised <= register.resolved).all()
    for T in (portfolio.window.first, portfolio.window.last):
        state = month_end_state(portfolio.seed, T, portfolio.projects, portfolio.schedule, portfolio.baseline,
                                portfolio.spend)
        rows = risk_rows(register, portfolio.projects, portfolio.health, portfolio.baseline.bac, portfolio.staff,
                         state)
        prob = np.array(rows["probability"].to_pylist())
        assert len(prob) and ((prob >= 0) & (prob <= 1)).all()
        assert np.allclose(prob * 20, np.round(prob * 20))  # in steps of 0.05
        assert set(rows["impact"].to_pylist()) <= {1, 2, 3, 4, 5}
        statuses = rows["status"].to_pylist()
        closed = rows["closed_date"].to_pylist()
        assert all((c is not None) == (s == "closed") for s, c in zip(statuses, closed))
        ids = rows["risk_id"].to_pylist()
        assert ids == sorted(ids)  # numbered in the order raised, listed in id order
